"""Signatures: real Standard Webhooks HMACs, every way a delivery can fail to prove itself."""

from __future__ import annotations

import json
import logging
import time

import pytest

from django_topi.models import Offer, WebhookEvent
from django_topi.webhooks.verification import VerificationFailed, sign, verify
from tests import payloads
from tests.webhook_helpers import OTHER_SECRET, SECRET, URL, deliver, signed_headers

pytestmark = pytest.mark.django_db


def test_a_valid_signature_is_processed(web):
    response = deliver(web, payloads.offer("accepted"), msg_id="msg_1")

    assert response.status_code == 200
    assert response.json() == {"status": "processed"}
    event = WebhookEvent.objects.get()
    assert (event.verification, event.status, event.svix_id) == ("signature", "processed", "msg_1")
    assert Offer.objects.get().status == "accepted"


def test_a_tampered_body_is_rejected_and_never_applied(web, caplog):
    body = json.dumps(payloads.offer("accepted")).encode()
    headers = signed_headers(body)
    tampered = body.replace(b"accepted", b"declined")

    response = web.generic("POST", URL, tampered, content_type="application/json", **headers)

    assert (response.status_code, response.content) == (401, b"")  # the sender learns nothing
    assert Offer.objects.count() == 0
    event = WebhookEvent.objects.get()
    assert (event.status, event.verification, event.dedupe_key) == ("rejected", "failed", None)
    assert event.error == "the signature matches none of the 1 configured TOPI['WEBHOOK_SECRETS']"
    assert "topi webhook rejected: the signature matches none" in caplog.text


def test_a_wrong_secret_is_rejected_with_a_reason_in_the_log(web, caplog):
    caplog.set_level(logging.WARNING, logger="django_topi.webhooks")

    response = deliver(web, payloads.offer("accepted"), sign_with=OTHER_SECRET)

    assert response.status_code == 401
    assert "matches none of the 1 configured TOPI['WEBHOOK_SECRETS']" in caplog.text
    assert SECRET not in caplog.text


def test_a_rotated_secret_is_accepted(web, settings):
    settings.TOPI = {**settings.TOPI, "WEBHOOK_SECRETS": [SECRET, OTHER_SECRET]}

    response = deliver(web, payloads.offer("accepted"), sign_with=OTHER_SECRET)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("age", "words"), [(301, "is 301 s old"), (-301, "is 301 s in the future")]
)
def test_stale_and_future_timestamps_are_rejected(web, time_machine, age, words):
    time_machine.move_to(time.time(), tick=False)  # a slow machine must not age it further
    response = deliver(web, payloads.offer("accepted"), timestamp=int(time.time()) - age)

    assert (response.status_code, response.content) == (400, b"")
    assert words in WebhookEvent.objects.get().error
    assert Offer.objects.count() == 0


def test_a_timestamp_within_tolerance_is_accepted(web):
    assert (
        deliver(web, payloads.offer("accepted"), timestamp=int(time.time()) - 290).status_code
        == 200
    )


@pytest.mark.parametrize("missing", ["HTTP_SVIX_ID", "HTTP_SVIX_TIMESTAMP", "HTTP_SVIX_SIGNATURE"])
def test_each_missing_header_is_named(web, missing):
    body = json.dumps(payloads.offer("accepted")).encode()
    headers = signed_headers(body)
    del headers[missing]

    response = web.generic("POST", URL, body, content_type="application/json", **headers)

    assert (response.status_code, response.content) == (400, b"")
    name = missing.removeprefix("HTTP_").lower().replace("_", "-")
    event = WebhookEvent.objects.get()
    assert (event.status, event.error) == ("rejected", f"missing {name} header")


def test_signature_headers_are_redacted_in_the_stored_event(web):
    deliver(web, payloads.offer("accepted"), HTTP_AUTHORIZATION="Bearer abc", HTTP_COOKIE="a=b")

    headers = WebhookEvent.objects.get().headers
    assert headers["svix-signature"] == "[redacted]"
    assert headers["authorization"] == "[redacted]"
    assert headers["cookie"] == "[redacted]"
    assert headers["svix-id"].startswith("msg_")


def test_rejected_rows_are_bounded(web, settings):
    settings.TOPI = {**settings.TOPI, "WEBHOOK_REJECTED_KEEP": 5}

    for _ in range(12):
        deliver(web, payloads.offer("accepted"), sign_with=OTHER_SECRET)

    assert WebhookEvent.objects.filter(status="rejected").count() == 5


def test_verify_tries_every_offered_signature():
    body = b"{}"
    good = sign(SECRET, "m", 1000, body)
    headers = {"svix-id": "m", "svix-timestamp": "1000", "svix-signature": f"v1,AAAA {good}"}
    assert verify(headers, body, [SECRET], tolerance=300, now=1000) == "m"


def test_verify_refuses_a_signature_scheme_it_does_not_know():
    headers = {"svix-id": "m", "svix-timestamp": "1000", "svix-signature": "v2,abc"}
    with pytest.raises(VerificationFailed, match="holds no v1 signature"):
        verify(headers, b"{}", [SECRET], tolerance=300, now=1000)


# -- Standard Webhooks' own header names -----------------------------------------------------------


def standard_names(headers: dict[str, str]) -> dict[str, str]:
    """The same headers under Standard Webhooks' names: ``webhook-id`` for ``svix-id`` …"""
    return {name.replace("HTTP_SVIX_", "HTTP_WEBHOOK_"): value for name, value in headers.items()}


def test_webhook_header_names_are_verified_and_applied_once(web):
    body = json.dumps(payloads.offer("accepted")).encode()
    headers = standard_names(signed_headers(body, msg_id="msg_std"))

    first = web.generic("POST", URL, body, content_type="application/json", **headers)
    again = web.generic("POST", URL, body, content_type="application/json", **headers)

    assert (first.status_code, first.json()) == (200, {"status": "processed"})
    assert (again.status_code, again.json()) == (
        200,
        {"status": "processed", "reason": "duplicate"},
    )
    event = WebhookEvent.objects.get()
    assert (event.verification, event.svix_id) == ("signature", "msg_std")
    assert event.headers["webhook-signature"] == "[redacted]"
    assert Offer.objects.get().status == "accepted"


def test_a_tampered_body_under_webhook_names_is_refused(web):
    body = json.dumps(payloads.offer("accepted")).encode()
    headers = standard_names(signed_headers(body))

    response = web.generic(
        "POST", URL, body.replace(b"accepted", b"declined"), content_type="application/json",
        **headers,
    )  # fmt: skip

    assert response.status_code == 401
    assert Offer.objects.count() == 0


@pytest.mark.parametrize(
    "missing", ["HTTP_WEBHOOK_ID", "HTTP_WEBHOOK_TIMESTAMP", "HTTP_WEBHOOK_SIGNATURE"]
)
def test_a_missing_webhook_header_is_named_by_its_own_name(web, missing):
    body = json.dumps(payloads.offer("accepted")).encode()
    headers = standard_names(signed_headers(body))
    del headers[missing]

    response = web.generic("POST", URL, body, content_type="application/json", **headers)

    assert response.status_code == 400
    name = missing.removeprefix("HTTP_").lower().replace("_", "-")
    assert WebhookEvent.objects.get().error == f"missing {name} header"


def test_a_stale_webhook_timestamp_is_named_by_its_own_name():
    body = b"{}"
    now = time.time()
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now) - 600),
        "webhook-signature": sign(SECRET, "msg_1", int(now) - 600, body),
    }

    with pytest.raises(VerificationFailed, match=r"^webhook-timestamp is 600 s old"):
        verify(headers, body, [SECRET], 300, now=now)
