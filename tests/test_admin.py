"""The admin: staff read every django-topi row, pretty-printed and cheaply; nobody edits one."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from django_topi.admin import OfferAdmin, OrderAdmin
from django_topi.models import (
    Asset,
    Offer,
    OfferLine,
    Order,
    Shipment,
    StatusChange,
    WebhookEvent,
)
from django_topi.money import format_money
from django_topi.sync import apply_offer_payload, apply_order_payload

pytestmark = pytest.mark.django_db

REGISTERED = [Offer, Order, StatusChange, Shipment, WebhookEvent]


def url(model, view="changelist", *args):
    return reverse(f"admin:django_topi_{model._meta.model_name}_{view}", args=args)


def pretty(value):
    """What the admin must show for a JSON value: indented, sorted, escaped."""
    return escape(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def offer_payload(n=1, status="accepted", company="Unicorn Corp", email="a@b.example"):
    return {
        "id": f"o-{n}",
        "status": status,
        "seller_offer_reference": f"SO-{n}",
        "customer": {"email": email, "company": {"name": company}},
        "shipping_address": {"recipient_name": "Jörg Müller", "city": "Berlin"},
        "metadata": {"shop_order_id": f"{100000 + n}"},
        "lines": [
            {
                "title": "Laptop",
                "quantity": 2,
                "price": {"currency": "EUR", "net": 200000, "gross": 238000},
                "seller_product_references": [{"source": "shop", "reference": "lap-1"}],
            }
        ],
    }


def order_payload(n=1, status="created", company="Unicorn Corp", email="a@b.example"):
    return {
        "id": f"d-{n}",
        "status": status,
        "offer_id": f"o-{n}",
        "seller_offer_reference": f"SO-{n}",
        "customer_info": {"email": email, "company": {"name": company}},
        "assets": [
            {
                "id": f"a-{n}",
                "title": "Laptop",
                "status": "created",
                "product_id": "p-1",
                "seller_product_references": [{"source": "shop", "reference": "lap-1"}],
            }
        ],
    }


def webhook_event(n=1, body=None, **fields):
    body = body if body is not None else json.dumps({"id": f"o-{n}", "status": "accepted"})
    return WebhookEvent.objects.create(
        body=body.encode() if isinstance(body, str) else body,
        headers={"content-type": "application/json", "svix-signature": "[redacted]"},
        svix_id=f"msg_{n}",
        dedupe_key=f"msg_{n}",
        kind=WebhookEvent.Kind.OFFER,
        topi_id=f"o-{n}",
        reported_status="accepted",
        **fields,
    )


def make_offer(n=1, status="accepted", user=None, **customer):
    event = webhook_event(n)
    return apply_offer_payload(
        offer_payload(n, status, **customer), "webhook", event, user
    ).instance


def make_order(n=1, status="created", user=None, **customer):
    make_offer(n, status="accepted", user=user, **customer)
    return apply_order_payload(order_payload(n, status, **customer), "sync", None, user).instance


def make_shipment(order, user=None):
    return Shipment.objects.create(
        order=order,
        tracking_url="https://track.example/XYZ",
        serial_numbers=[{"asset_id": "a-1", "serial_number": "SN-123"}],
        created_by=user,
        raw={"id": order.topi_id, "status": "completed"},
    )


def make_conflict():
    """An offer topi declined and then reported accepted: not reachable, so a conflict."""
    offer = make_offer(7, status="declined")
    apply_offer_payload(offer_payload(7, "accepted"), "webhook")
    offer.refresh_from_db()
    assert offer.conflict
    return offer


@pytest.fixture
def rows(admin_user):
    """One row of every model, as the webhook, sync and a shipment would leave them."""
    order = make_order(1, user=admin_user)
    return {
        Offer: order.offer,
        Order: order,
        StatusChange: order.offer.status_changes.last(),
        Shipment: make_shipment(order, admin_user),
        WebhookEvent: WebhookEvent.objects.get(topi_id="o-1"),
    }


# -- what is shown -------------------------------------------------------------------------------


def test_every_model_is_visible_registered_or_inline():
    registered = {model for model in admin.site._registry if model._meta.app_label == "django_topi"}
    assert registered == set(REGISTERED)
    assert OfferLine in {inline.model for inline in OfferAdmin.inlines}
    assert {Asset, Shipment, StatusChange} <= {inline.model for inline in OrderAdmin.inlines}
    assert StatusChange in {inline.model for inline in OfferAdmin.inlines}


#: Fields the change pages show through a display method rather than under their own name.
SHOWN_AS = {
    "status": "status_explained",
    "conflict": "conflict_display",
    "amount_net": "total_net",
    "amount_gross": "total_gross",
    "currency": "total_net",
    "expected_amount_net": "expected_total_net",
    "expected_amount_gross": "expected_total_gross",
    "expected_currency": "expected_total_net",
    "body": "body_text",
    "traceback": "traceback_text",
}


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_every_field_is_shown_on_the_change_page(rf, admin_user, model):
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    shown = set(model_admin.get_readonly_fields(request))

    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        names = {field.name, f"{field.name}_json", SHOWN_AS.get(field.name)}
        assert names & shown, f"{model.__name__}.{field.name} is not shown"


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Offer, ["SO-1", "o-1", "Unicorn Corp", "a@b.example", "2380.00 EUR", "accepted"]),
        (Order, ["SO-1", "d-1", "Unicorn Corp", "a@b.example", "created"]),
        (StatusChange, ["SO-1", "accept"]),
        (Shipment, ["https://track.example/XYZ", "SO-1"]),
        (WebhookEvent, ["o-1", "not checked yet", "received"]),
    ],
    ids=["Offer", "Order", "StatusChange", "Shipment", "WebhookEvent"],
)
def test_changelist_shows_the_rows(admin_client, rows, model, expected):
    response = admin_client.get(url(model))

    assert response.status_code == 200
    for text in expected:
        assert text in response.text, text


def cells(page: str, field: str) -> list[str]:
    """The text of each table cell of ``field`` on an admin page, in order."""
    found = re.findall(rf'<td class="field-{field}(?: [^"]*)?">(.*?)</td>', page, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found]


def test_the_status_change_list_shows_each_steps_origin_and_transition(admin_client, rows):
    page = admin_client.get(url(StatusChange)).text

    assert sorted(cells(page, "origin")) == ["reconciliation with topi", "webhook", "webhook"]
    assert sorted(cells(page, "transition")) == ["-", "-", "accept"]


def test_order_changelist_links_to_the_offer(admin_client, rows):
    response = admin_client.get(url(Order))

    assert f'<a href="{url(Offer, "change", rows[Offer].pk)}">SO-1</a>' in response.text


def test_offer_change_page_shows_payloads_lines_and_timeline(admin_client, rows):
    offer = rows[Offer]

    response = admin_client.get(url(Offer, "change", offer.pk))

    assert response.status_code == 200
    page = response.text
    assert f"<pre>{pretty(offer.raw)}</pre>" in page
    assert f"<pre>{pretty(offer.customer)}</pre>" in page
    assert f"<pre>{pretty(offer.shipping_address)}</pre>" in page
    assert f"<pre>{pretty(offer.metadata)}</pre>" in page
    assert "Jörg Müller" in page  # ensure_ascii=False
    assert "Laptop" in page
    assert "lap-1" in page
    assert "2000.00 EUR" in page  # the line's and the offer's net total
    assert "2380.00 EUR" in page
    assert cells(page, "target") == ["created", "accepted"]  # the timeline, oldest first
    assert cells(page, "transition") == ["-", "accept"]
    assert url(WebhookEvent, "change", rows[WebhookEvent].pk) in page


def test_order_change_page_shows_assets_shipments_and_timeline(admin_client, rows):
    order = rows[Order]

    response = admin_client.get(url(Order, "change", order.pk))

    assert response.status_code == 200
    page = response.text
    assert f"<pre>{pretty(order.raw)}</pre>" in page
    assert f"<pre>{pretty(order.customer)}</pre>" in page
    assert "a-1" in page  # the asset
    assert "SN-123" in page  # the shipment's serial number
    assert "https://track.example/XYZ" in page
    assert url(Offer, "change", rows[Offer].pk) in page
    assert cells(page, "origin") == ["reconciliation with topi"]  # its one timeline row


def test_status_change_page_links_its_offer_user_and_event(admin_client, admin_user, rows):
    change = rows[StatusChange]

    page = admin_client.get(url(StatusChange, "change", change.pk)).text

    assert url(Offer, "change", rows[Offer].pk) in page
    assert url(WebhookEvent, "change", rows[WebhookEvent].pk) in page
    assert admin_user.username in page
    assert "accept" in page


def test_shipment_page_shows_what_was_sent_and_topis_answer(admin_client, rows):
    shipment = rows[Shipment]

    page = admin_client.get(url(Shipment, "change", shipment.pk)).text

    assert url(Order, "change", rows[Order].pk) in page
    assert f"<pre>{pretty(shipment.serial_numbers)}</pre>" in page
    assert f"<pre>{pretty(shipment.raw)}</pre>" in page


def test_webhook_event_shows_body_and_headers_pretty_printed(admin_client):
    body = {"status": "accepted", "id": "o-1", "customer": {"company": {"name": "Zürich AG"}}}
    event = webhook_event(1, body=json.dumps(body, separators=(",", ":")))

    response = admin_client.get(url(WebhookEvent, "change", event.pk))

    assert f"<pre>{pretty(body)}</pre>" in response.text
    assert f"<pre>{pretty(event.headers)}</pre>" in response.text


def test_webhook_body_that_is_neither_utf8_nor_json_is_shown_as_text(admin_client):
    event = webhook_event(1, body=b"\xffnot json <b>bold</b>")

    response = admin_client.get(url(WebhookEvent, "change", event.pk))

    assert response.status_code == 200
    assert "<pre>\ufffdnot json &lt;b&gt;bold&lt;/b&gt;</pre>" in response.text


def test_webhook_body_nested_too_deep_to_reindent_is_shown_as_received(admin_client):
    body = "[" * 100_000 + "]" * 100_000
    event = webhook_event(1, body=body)

    response = admin_client.get(url(WebhookEvent, "change", event.pk))

    assert response.status_code == 200
    assert f"<pre>{body}</pre>" in response.text


def test_payload_text_is_escaped(admin_client):
    offer = make_offer(1, company="<script>alert(1)</script>")

    for page in (url(Offer), url(Offer, "change", offer.pk)):
        text = admin_client.get(page).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_money_is_shown_in_the_currency_not_in_minor_units():
    assert format_money(119000, "EUR") == "1190.00 EUR"
    assert format_money(5, "GBP") == "0.05 GBP"
    assert format_money(None, "EUR") is None
    assert format_money(119000, "CHF") == "119000 minor units of CHF"


# -- nobody edits --------------------------------------------------------------------------------


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_adding_is_refused(admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 403


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_change_form_has_no_save_button_and_no_inputs(admin_client, rows, model):
    page = admin_client.get(url(model, "change", rows[model].pk)).text

    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert 'name="status"' not in page
    assert "<textarea" not in page
    assert 'name="lines-0-title"' not in page
    assert "-DELETE" not in page


@pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m.__name__)
def test_deleting_is_refused(admin_client, rows, model):
    assert admin_client.get(url(model, "delete", rows[model].pk)).status_code == 403
    assert (
        admin_client.post(url(model, "delete", rows[model].pk), {"post": "yes"}).status_code == 403
    )
    assert model.objects.filter(pk=rows[model].pk).exists()
    assert "delete_selected" not in admin_client.get(url(model)).text


def test_posting_the_offer_change_form_changes_nothing(admin_client, rows):
    offer = rows[Offer]

    response = admin_client.post(
        url(Offer, "change", offer.pk),
        {"status": "voided", "company_name": "Hacked", "seller_offer_reference": "X", "_save": "1"},
    )

    assert response.status_code == 403
    offer.refresh_from_db()
    assert (offer.status, offer.company_name, offer.seller_offer_reference) == (
        "accepted",
        "Unicorn Corp",
        "SO-1",
    )


def test_posting_the_order_change_form_changes_nothing(admin_client, rows):
    order = rows[Order]

    response = admin_client.post(url(Order, "change", order.pk), {"status": "completed"})

    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == "created"


def test_staff_with_the_view_permission_only_can_read(rows):
    client = Client()  # not the ``client`` fixture: conftest's is the topi API client
    staff = get_user_model().objects.create_user("viewer", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_offer"))
    client.force_login(staff)

    assert client.get(url(Offer)).status_code == 200
    page = client.get(url(Offer, "change", rows[Offer].pk)).text
    assert "SO-1" in page
    assert 'name="_save"' not in page
    assert client.get(url(Order)).status_code == 403


# -- list pages cost the same for 1 row or 500 ---------------------------------------------------


#: Queries for one list page, whatever its length: session, user, two counts, the rows with their
#: related rows joined, the date hierarchy's two; the status changes' ``target`` filter one more.
CHANGELIST_BUDGET = {Offer: 7, Order: 7, StatusChange: 8, WebhookEvent: 7, Shipment: 7}
#: How many staff users share the shipments and status steps of a list.
CLERKS = 5


def clerk(n):
    return f"clerk-{n % CLERKS}"


@pytest.fixture
def clerks(django_user_model):
    """The shop's staff, who ship orders and move statuses."""
    return django_user_model.objects.bulk_create(
        django_user_model(username=clerk(n), is_staff=True) for n in range(CLERKS)
    )


def offer_row(n, status="accepted", **fields):
    """Offer ``n`` with the columns sync takes from ``offer_payload(n)``, to bulk-create."""
    payload = {
        **offer_payload(n, status),
        "seller_offer_redirect_url": f"https://dashboard.example/offers/o-{n}",
    }
    return Offer(
        topi_id=payload["id"], seller_offer_reference=payload["seller_offer_reference"],
        environment="sandbox", status=payload["status"], customer=payload["customer"],
        company_name="Unicorn Corp", email="a@b.example",
        shipping_address=payload["shipping_address"], metadata=payload["metadata"],
        currency="EUR", amount_net=200000, amount_gross=238000, raw=payload, **fields,
    )  # fmt: skip


def order_row(n, offer=None, status="created"):
    """Order ``n`` with the columns sync takes from ``order_payload(n)``, to bulk-create."""
    payload = order_payload(n, status)
    return Order(
        topi_id=payload["id"], seller_offer_reference=payload["seller_offer_reference"],
        environment="sandbox", status=status, offer=offer, offer_topi_id=payload["offer_id"],
        customer=payload["customer_info"], company_name="Unicorn Corp", email="a@b.example",
        raw=payload,
    )  # fmt: skip


def delivery(n, kind, topi_id):
    """The webhook delivery that told of ``topi_id``'s creation, processed, to bulk-create."""
    body = json.dumps({"id": topi_id, "status": "created"})
    return WebhookEvent(
        body=body.encode(), svix_id=f"msg_{n}", dedupe_key=f"msg_{n}", kind=kind, topi_id=topi_id,
        reported_status="created", verification=WebhookEvent.Verification.SIGNATURE,
        status=WebhookEvent.Status.PROCESSED, attempts=1, processed_at=timezone.now(),
        headers={"content-type": "application/json", "svix-signature": "[redacted]"},
    )  # fmt: skip


def add_offers(numbers, clerks):
    """Accepted offers, each with a conflict to flag and a link to topi's dashboard."""
    Offer.objects.bulk_create(offer_row(n, conflict=f"conflict {n}") for n in numbers)


def add_orders(numbers, clerks):
    """Confirmed orders, each with its offer and one shipment a clerk reported."""
    offers = Offer.objects.bulk_create(offer_row(n) for n in numbers)
    orders = Order.objects.bulk_create(
        order_row(n, offer, "confirmed") for n, offer in zip(numbers, offers, strict=True)
    )
    Shipment.objects.bulk_create(
        Shipment(
            order=order, tracking_url=f"https://track.example/{n}",
            serial_numbers=[{"asset_id": f"a-{n}", "serial_number": f"SN-{n}"}],
            created_by=clerks[n % CLERKS], raw={"id": order.topi_id, "status": "completed"},
        )
        for n, order in zip(numbers, orders, strict=True)
    )  # fmt: skip


def subject(n):
    """Row ``n`` of the status steps is an offer's creation when odd, an order's when even."""
    return (WebhookEvent.Kind.OFFER, f"o-{n}") if n % 2 else (WebhookEvent.Kind.ORDER, f"d-{n}")


def add_deliveries(numbers, clerks):
    """Webhook deliveries, each of which created an offer or an order: one status step each,
    with its offer or order, its event and a clerk."""
    events = WebhookEvent.objects.bulk_create(delivery(n, *subject(n)) for n in numbers)
    offers = iter(
        Offer.objects.bulk_create(offer_row(n, status="created") for n in numbers if n % 2)
    )
    orders = iter(Order.objects.bulk_create(order_row(n) for n in numbers if not n % 2))
    StatusChange.objects.bulk_create(
        StatusChange(
            **({"offer": next(offers)} if n % 2 else {"order": next(orders)}),
            target="created", origin="webhook", user=clerks[n % CLERKS], webhook_event=event,
        )
        for n, event in zip(numbers, events, strict=True)
    )  # fmt: skip


def shown(model, n):
    """What row ``n`` of ``model``'s list shows in the columns that follow a relation, and in a
    few of its own."""
    kind, topi_id = subject(n)
    return {
        Offer: {
            "topi_id": f"o-{n}",
            "total": "2380.00 EUR",
            "conflict_flag": "⚠",
            "dashboard": "open in topi",
        },
        Order: {"offer_link": f"SO-{n}", "dashboard": "open in topi"},
        Shipment: {"order_link": f"SO-{n} (confirmed)", "created_by": clerk(n), "units": "1"},
        StatusChange: {
            "subject": f"SO-{n} (created)",
            "user": clerk(n),
            "webhook_event": f"{kind} {topi_id} created (processed)",
        },
        WebhookEvent: {"kind": kind, "topi_id": topi_id, "verification": "signature valid"},
    }[model]


def show_changelist(admin_client, model, numbers, query_budget):
    """The list of rows ``numbers`` in its budget, every row showing its own related data."""
    with query_budget(CHANGELIST_BUDGET[model], f"the {model.__name__} list of {len(numbers)}"):
        response = admin_client.get(url(model))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == len(numbers)
    rows = [shown(model, n) for n in numbers]
    for column in rows[0]:
        assert sorted(cells(response.text, column)) == sorted(row[column] for row in rows), column


@pytest.mark.parametrize(
    ("model", "add"),
    [
        (Offer, add_offers),
        (Order, add_orders),
        (StatusChange, add_deliveries),
        (WebhookEvent, add_deliveries),
        (Shipment, add_orders),
    ],
    ids=["Offer", "Order", "StatusChange", "WebhookEvent", "Shipment"],
)
def test_a_changelist_costs_its_query_budget_for_1_or_500_rows(
    admin_client, clerks, monkeypatch, model, add, query_budget
):
    monkeypatch.setattr(admin.site._registry[model], "list_per_page", 500)
    add(range(1, 2), clerks)
    admin_client.get(url(model))  # the first request fills per-process caches (content types)
    show_changelist(admin_client, model, range(1, 2), query_budget)

    add(range(2, 501), clerks)
    show_changelist(admin_client, model, range(1, 501), query_budget)


# -- finding rows --------------------------------------------------------------------------------


def listed(admin_client, model, **params):
    response = admin_client.get(url(model), params)
    assert response.status_code == 200
    return sorted(row.seller_offer_reference for row in response.context["cl"].result_list)


@pytest.mark.parametrize("model", [Offer, Order], ids=lambda m: m.__name__)
@pytest.mark.parametrize("query", ["Unicorn", "unicorn corp", "a@b.example", "SO-1"])
def test_search_by_company_email_or_reference_finds_the_row(admin_client, model, query):
    make_order(1, company="Unicorn Corp", email="a@b.example")
    make_order(2, company="Other GmbH", email="c@d.example")

    assert listed(admin_client, model, q=query) == ["SO-1"]


def test_search_by_topi_id_finds_the_row(admin_client):
    make_order(1)
    make_order(2)

    assert listed(admin_client, Offer, q="o-2") == ["SO-2"]
    assert listed(admin_client, Order, q="d-2") == ["SO-2"]


def test_status_changes_are_found_by_the_offer_or_order_reference(admin_client):
    make_order(1)
    make_order(2)

    response = admin_client.get(url(StatusChange), {"q": "SO-2"})

    subjects = {change.offer or change.order for change in response.context["cl"].result_list}
    assert {subject.seller_offer_reference for subject in subjects} == {"SO-2"}
    assert {type(subject) for subject in subjects} == {Offer, Order}


def test_filter_by_status(admin_client):
    make_offer(1, status="accepted")
    make_offer(2, status="created")
    make_offer(3, status="pending_review")

    assert listed(admin_client, Offer, status__exact="accepted") == ["SO-1"]
    assert listed(admin_client, Offer, status__exact="pending_review") == ["SO-3"]


def test_webhook_events_are_filtered_by_kind_status_and_verification(admin_client):
    webhook_event(1, status=WebhookEvent.Status.FAILED, verification="signature")
    webhook_event(2, status=WebhookEvent.Status.PROCESSED, verification="signature")
    webhook_event(3, status=WebhookEvent.Status.REJECTED, verification="failed")

    def topi_ids(**params):
        response = admin_client.get(url(WebhookEvent), params)
        return sorted(event.topi_id for event in response.context["cl"].result_list)

    assert topi_ids(status__exact="failed") == ["o-1"]
    assert topi_ids(verification__exact="failed") == ["o-3"]
    assert topi_ids(kind__exact="offer") == ["o-1", "o-2", "o-3"]
    assert topi_ids(q="msg_2") == ["o-2"]


# -- conflicts and drafts ------------------------------------------------------------------------


def test_a_conflict_is_shown_on_the_change_page(admin_client):
    offer = make_conflict()

    page = admin_client.get(url(Offer, "change", offer.pk)).text

    assert f'<p class="errornote">⚠ {escape(offer.conflict)}</p>' in page


def test_a_conflict_is_flagged_in_the_list(admin_client):
    offer = make_conflict()
    make_offer(8)

    page = admin_client.get(url(Offer)).text

    assert f'<span title="{escape(offer.conflict)}">⚠</span>' in page
    assert page.count("⚠</span>") == 1
    assert listed(admin_client, Offer, conflict="yes") == ["SO-7"]
    assert listed(admin_client, Offer, conflict="no") == ["SO-8"]


def test_a_draft_offer_is_explained(admin_client):
    draft = Offer.objects.create(seller_offer_reference="SO-9", environment="sandbox")

    changelist = admin_client.get(url(Offer)).text
    change_page = admin_client.get(url(Offer, "change", draft.pk)).text

    assert "draft: not sent to topi yet (local only)" in changelist
    assert "draft: not sent to topi yet (local only)" in change_page
    assert "draft (not sent to topi yet)" in changelist
    assert "None" not in change_page  # no amounts yet: shown as "-", not as Python's None
