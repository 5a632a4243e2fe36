"""Sign a topi-shaped payload and POST it to a webhook URL: for local development and tunnels."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import requests
from django.core.management.base import BaseCommand, CommandError

from django_topi.conf import topi_settings
from django_topi.webhooks.verification import signed_headers

FIXTURES: dict[str, dict[str, Any]] = {
    "offer.accepted": {
        "id": "9cebdcec-0a3c-4f5e-9d4b-3f1e2a7b6c01",
        "status": "accepted",
        "seller_offer_reference": "TEST-WEBHOOK-1",
        "created_at": "2026-11-28T09:31:35Z",
        "checkout_redirect_url": "https://dashboard.topi-sandbox.eu/offer/9cebdcec-0a3c-4f5e-9d4b-3f1e2a7b6c01",
        "lines": [],
        "order_id": None,
        "metadata": {},
    },
    "order.created": {
        "id": "8c9a3939-5b7d-4e21-9a0f-1c2d3e4f5a01",
        "offer_id": "9cebdcec-0a3c-4f5e-9d4b-3f1e2a7b6c01",
        "seller_offer_reference": "TEST-WEBHOOK-1",
        "status": "created",
        "assets": [],
        "metadata": None,
    },
}
FIXTURES["offer.pending_review"] = {**FIXTURES["offer.accepted"], "status": "pending_review"}
FIXTURES["offer.declined"] = {**FIXTURES["offer.accepted"], "status": "declined"}
FIXTURES["order.canceled"] = {**FIXTURES["order.created"], "status": "canceled"}
FIXTURES["order.completed"] = {**FIXTURES["order.created"], "status": "completed"}


class Command(BaseCommand):
    help = (
        "Sign a payload as topi does (Standard Webhooks) and POST it to URL. Give an event name "
        f"({', '.join(sorted(FIXTURES))}) or --file with a JSON body."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("url", help="e.g. http://127.0.0.1:8000/topi/webhook/")
        parser.add_argument("event", nargs="?", default="offer.accepted", choices=sorted(FIXTURES))
        parser.add_argument("--file", type=Path, help="send this JSON file instead")
        parser.add_argument("--status", help="override the payload's status")
        parser.add_argument("--secret", help="default: the first of TOPI['WEBHOOK_SECRETS']")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["file"]:
            try:
                payload = json.loads(options["file"].read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        else:
            payload = dict(FIXTURES[options["event"]])
        if options["status"]:
            payload["status"] = options["status"]
        secrets = topi_settings.WEBHOOK_SECRETS
        secret = options["secret"] or (secrets[0] if secrets else None)
        if not secret:
            raise CommandError("no signing secret: set TOPI['WEBHOOK_SECRETS'] or pass --secret")
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", **signed_headers(secret, body)}
        try:
            response = requests.post(options["url"], data=body, headers=headers, timeout=(5, 30))
        except requests.RequestException as exc:
            raise CommandError(f"could not reach {options['url']}: {type(exc).__name__}") from exc
        self.stdout.write(f"{response.status_code} {response.text[:500]}")
        if not response.ok:
            raise CommandError(f"the webhook answered {response.status_code}")
