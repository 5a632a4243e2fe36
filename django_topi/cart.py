"""The shop's cart as django-topi needs it, and the createOffer body built from it.

A shop's ``TOPI["CART_ADAPTER"]`` turns its own cart into a ``Cart`` on the server, so prices
never come from the browser. Its types keep the conventions of ``django_topi.conventions``:
prices say net or gross in their names, product references are ``ProductReference`` values.

``Cart.to_offer_payload()`` checks everything topi would refuse and builds the body of
``POST /v1/offers``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from django_topi.conventions import NO_DECIMAL, NO_TEXT, REQUIRED, read_by_replace, required

# Shop-facing names that also import from here (a shop's cart code names them beside CartLine).
from django_topi.conventions import REFERENCE as REFERENCE
from django_topi.conventions import ProductReference as ProductReference
from django_topi.conventions import as_reference as as_reference
from django_topi.conventions import deprecated as deprecated
from django_topi.conventions import renamed as renamed
from django_topi.ids import topi_instant
from django_topi.money import MoneyAmount, money_amount

MAX_QUANTITY = 10000
MIN_COMPANY_NAME = 3
MAX_METADATA_VALUE = 400
MAX_REFERENCE_LENGTH = 255


class CartError(ValueError):
    """The cart cannot become a topi offer; ``errors`` lists every reason, in words for people."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(" ".join(errors))
        self.errors = errors


def line_price(unit_price: Decimal, quantity: int) -> Decimal:
    """The price topi gets for an offer line: the line total (unit price x quantity).

    topi's spec does not say whether ``price`` is per unit or per line; topi's own Shopware
    plugin and the Sylius plugin send the line total. This is the one place to change it.
    """
    return unit_price * quantity


@dataclass
class Address:
    """A postal address with topi's field names; ``country_code`` is ISO 3166-1 alpha-2."""

    line1: str
    city: str
    postal_code: str
    country_code: str
    line2: str | None = None
    region: str | None = None
    recipient_name: str | None = None

    def to_topi(self, *, with_recipient: bool = True) -> dict[str, str]:
        fields = ["line1", "line2", "postal_code", "city", "region", "country_code"]
        if with_recipient:
            fields.append("recipient_name")
        return {name: str(getattr(self, name)) for name in fields if getattr(self, name)}

    def problems(self, what: str) -> list[str]:
        required = {
            "line1": _("a street and house number"),
            "city": _("a city"),
            "postal_code": _("a postal code"),
            "country_code": _("a country"),
        }
        errors = [
            _("The %(what)s needs %(field)s.") % {"what": what, "field": label}
            for name, label in required.items()
            if not str(getattr(self, name) or "").strip()
        ]
        if self.country_code and not re.fullmatch(r"[A-Z]{2}", self.country_code):
            errors.append(
                _("The %(what)s's country must be a two-letter code such as DE, not %(code)r.")
                % {"what": what, "code": self.country_code}
            )
        if self.line2 and len(self.line2) > 40:
            errors.append(
                _("The %(what)s's second line is longer than 40 characters.") % {"what": what}
            )
        return errors


@dataclass
class Customer:
    """Who rents: topi reviews the company, so give what the shop knows."""

    email: str | None = None
    full_name: str | None = None
    phone_number: str | None = None
    company_name: str | None = None
    vat_number: str | None = None
    tax_number: str | None = None
    billing_address: Address | None = None
    customer_group: str | None = None

    def to_topi(self) -> dict[str, Any]:
        customer: dict[str, Any] = {
            key: value
            for key in ("email", "full_name", "phone_number", "customer_group")
            if (value := getattr(self, key))
        }
        company: dict[str, Any] = {
            key: value
            for key, value in (
                ("name", self.company_name),
                ("vat_number", self.vat_number),
                ("tax_number", self.tax_number),
            )
            if value
        }
        if self.billing_address is not None:
            company["billing_address"] = self.billing_address.to_topi(with_recipient=False)
        if company:
            customer["company"] = company
        return customer


@dataclass
class Shipping:
    """How the order travels: a shipping method registered with topi, and its price."""

    reference: str
    price_net: Decimal = NO_DECIMAL
    currency: str = NO_TEXT
    tax_rate: Decimal | None = None
    is_in_store_pickup: bool = False
    #: Deprecated: ``price_net``.
    net_price: InitVar[Decimal | None] = None

    def __post_init__(self, net_price: Decimal | None) -> None:
        if net_price is not None:
            deprecated("Shipping(net_price=...)", "Shipping(price_net=...)", 4)
            if self.price_net is REQUIRED:
                self.price_net = net_price
        required(self, price_net=self.price_net, currency=self.currency)

    def price(self) -> MoneyAmount:
        amount = money_amount(self.price_net, self.currency, tax_rate_percent=self.tax_rate)
        amount.setdefault("gross", amount["net"])  # topi requires gross here; untaxed = net
        return amount


@dataclass
class CartLine:
    """One product line: ``unit_price_net`` is the net unit price, ``tax_rate`` in percent,
    ``product_reference`` a ``ProductReference`` or a bare reference of the default source."""

    title: str
    quantity: int
    unit_price_net: Decimal = NO_DECIMAL
    currency: str = NO_TEXT
    product_reference: ProductReference | str = NO_TEXT
    tax_rate: Decimal | None = None
    subtitle: str | None = None
    #: Deprecated: give ``product_reference=ProductReference(source, reference)``.
    product_source: InitVar[str | None] = None
    #: Deprecated: ``unit_price_net``.
    unit_price: InitVar[Decimal | None] = None

    def __post_init__(self, product_source: str | None, unit_price: Decimal | None) -> None:
        if unit_price is not None:
            deprecated("CartLine(unit_price=...)", "CartLine(unit_price_net=...)", 4)
            if self.unit_price_net is REQUIRED:
                self.unit_price_net = unit_price
        if product_source is not None:
            deprecated(
                "CartLine(product_source=...)",
                "CartLine(product_reference=ProductReference(source, reference))",
                4,
            )
            if isinstance(self.product_reference, str):
                self.product_reference = ProductReference(product_source, self.product_reference)
        if isinstance(self.product_reference, tuple) and not isinstance(
            self.product_reference, ProductReference
        ):
            deprecated(
                "a product reference as a plain tuple", "ProductReference(source, reference)", 4
            )
            self.product_reference = ProductReference(*self.product_reference)
        required(
            self,
            unit_price_net=self.unit_price_net,
            currency=self.currency,
            product_reference=self.product_reference,
        )

    @property
    def reference(self) -> ProductReference:
        """The line's product reference, the default source filled in."""
        from django_topi.conf import topi_settings

        return as_reference(self.product_reference, topi_settings.PRODUCT_REFERENCE_SOURCE)

    def price(self) -> MoneyAmount:
        return money_amount(
            line_price(self.unit_price_net, self.quantity),
            self.currency,
            tax_rate_percent=self.tax_rate,
        )


def _product_source(line: CartLine) -> str | None:
    if read_by_replace():
        return None
    deprecated("CartLine.product_source", "CartLine.reference.source")
    reference = line.product_reference
    return reference.source if isinstance(reference, ProductReference) else None


# The old names read as before for one release (the dataclass took their defaults already).
setattr(Shipping, "net_price", renamed("net_price", "price_net"))  # noqa: B010
setattr(CartLine, "unit_price", renamed("unit_price", "unit_price_net"))  # noqa: B010
setattr(CartLine, "product_source", property(_product_source))  # noqa: B010


@dataclass
class Cart:
    """A shop's cart, as ``TOPI["CART_ADAPTER"](request)`` returns it."""

    reference: str
    lines: list[CartLine]
    customer: Customer | None = None
    shipping_address: Address | None = None
    shipping: Shipping | None = None
    metadata: Mapping[str, str] | None = field(default=None)

    def problems(self, sales_channel: str = "ecommerce") -> list[str]:
        """Everything topi would refuse, as sentences for people (empty when all is well)."""
        errors: list[str] = []
        if not self.reference or not str(self.reference).strip():
            errors.append(_("The cart has no reference."))
        elif len(self.reference) > MAX_REFERENCE_LENGTH:
            errors.append(_("The cart reference is longer than 255 characters."))
        if not self.lines:
            errors.append(_("The cart is empty."))
        for line in self.lines:
            errors += self._line_problems(line)
        currencies = {line.currency for line in self.lines}
        if self.shipping is not None:
            currencies.add(self.shipping.currency)
        if len(currencies) > 1:
            errors.append(
                _("The cart mixes currencies (%(currencies)s); topi needs one.")
                % {"currencies": ", ".join(sorted(currencies))}
            )
        if self.shipping_address is None and sales_channel == "ecommerce":
            errors.append(_("topi needs a shipping address for an online order."))
        if self.shipping_address is not None:
            errors += self.shipping_address.problems(_("shipping address"))
        if self.customer is not None:
            errors += self._customer_problems(self.customer)
        # Shipping references are free text at topi ("DHL Standard"), only never empty.
        if self.shipping is not None and not self.shipping.reference.strip():
            errors.append(_("The shipping method has no reference."))
        for key, value in (self.metadata or {}).items():
            if not isinstance(value, str) or len(value) > MAX_METADATA_VALUE:
                errors.append(
                    _("Metadata %(key)r must be text of at most 400 characters.") % {"key": key}
                )
        return errors

    def _line_problems(self, line: CartLine) -> list[str]:
        errors = []
        name = line.title or str(line.product_reference or "") or "?"
        if not line.title:
            errors.append(_("A cart line has no title."))
        if (
            isinstance(line.quantity, bool)
            or not isinstance(line.quantity, int)
            or not (1 <= line.quantity <= MAX_QUANTITY)
        ):
            errors.append(
                _("The quantity of %(name)s must be between 1 and 10000, not %(quantity)s.")
                % {"name": name, "quantity": line.quantity}
            )
        reference = line.reference.reference if line.product_reference else ""
        if not REFERENCE.match(reference or ""):
            errors.append(
                _(
                    "The product reference %(reference)r of %(name)s may only contain letters, "
                    "digits, '.', '_' and '-'."
                )
                % {"reference": reference, "name": name}
            )
        if line.product_reference and not line.reference.source.strip():
            errors.append(
                _("The product reference %(reference)r of %(name)s has no source.")
                % {"reference": reference, "name": name}
            )
        try:
            line.price()
        except (TypeError, ValueError) as exc:
            errors.append(
                _("The price of %(name)s is not usable: %(reason)s.")
                % {"name": name, "reason": exc}
            )
        return errors

    def _customer_problems(self, customer: Customer) -> list[str]:
        errors = []
        if (
            customer.company_name is not None
            and len(customer.company_name.strip()) < MIN_COMPANY_NAME
        ):
            errors.append(
                _("topi needs a company name of at least 3 characters, not %(name)r.")
                % {"name": customer.company_name}
            )
        if customer.billing_address is not None:
            errors += customer.billing_address.problems(_("billing address"))
        return errors

    def validate(self, sales_channel: str = "ecommerce") -> None:
        """Raise ``CartError`` listing every problem, or return quietly."""
        errors = self.problems(sales_channel)
        if errors:
            raise CartError(errors)

    @property
    def currency(self) -> str:
        return self.lines[0].currency.upper() if self.lines else ""

    def totals(self) -> tuple[str, int, int | None]:
        """(currency, net, gross) in minor units over lines and shipping, as the shop sends them."""
        prices = [line.price() for line in self.lines]
        if self.shipping is not None:
            prices.append(self.shipping.price())
        net = sum(price["net"] for price in prices)
        grosses = [price.get("gross") for price in prices]
        gross = sum(g for g in grosses if g is not None) if None not in grosses else None
        return self.currency, net, gross

    def to_offer_payload(
        self,
        *,
        sales_channel: str | None = None,
        expires_at: datetime | None = None,
        success_redirect: str | None = None,
        exit_redirect: str | None = None,
        product_source: str | None = None,
    ) -> dict[str, Any]:
        """createOffer's body, complete by topi's spec: settings fill what is not given, and
        ``expires_at`` defaults to now plus the channel's offer lifetime. Raises ``CartError``
        first."""
        from django_topi.conf import topi_settings

        content = self.offer_content(sales_channel=sales_channel, product_source=product_source)
        if expires_at is None:
            expires_at = timezone.now() + topi_settings.offer_lifetime(content["sales_channel"])
        payload: dict[str, Any] = {
            "seller_offer_reference": content.pop("seller_offer_reference"),
            "sales_channel": content.pop("sales_channel"),
            "expires_at": topi_instant(expires_at),
        }
        if success_redirect:
            payload["success_redirect"] = success_redirect
        if exit_redirect:
            payload["exit_redirect"] = exit_redirect
        return {**payload, **content}

    def offer_content(
        self, *, sales_channel: str | None = None, product_source: str | None = None
    ) -> dict[str, Any]:
        """What the offer is made of: everything createOffer sends but when it expires and
        where the customer returns to. Raises ``CartError`` first."""
        from django_topi.conf import topi_settings

        channel = sales_channel or topi_settings.SALES_CHANNEL
        self.validate(channel)
        source = product_source or topi_settings.PRODUCT_REFERENCE_SOURCE
        content: dict[str, Any] = {
            "seller_offer_reference": self.reference,
            "sales_channel": channel,
            "lines": [self._line_payload(line, source) for line in self.lines],
        }
        if self.customer is not None and (customer := self.customer.to_topi()):
            content["customer"] = customer
        if self.shipping_address is not None:
            content["shipping_address"] = self.shipping_address.to_topi()
        if self.shipping is not None:
            content["shipping"] = {
                "seller_shipping_reference": self.shipping.reference,
                "price": self.shipping.price(),
                "is_in_store_pickup": self.shipping.is_in_store_pickup,
            }
        if self.metadata:
            content["metadata"] = dict(self.metadata)
        return content

    def fingerprint(self, *, sales_channel: str | None = None) -> str:
        """A SHA-256 of ``offer_content()``: lines, prices, quantities, shipping, customer and
        addresses. Two carts with the same fingerprint make the same offer."""
        canonical = json.dumps(
            self.offer_content(sales_channel=sales_channel),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @staticmethod
    def _line_payload(line: CartLine, source: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title": line.title,
            "quantity": line.quantity,
            "price": line.price(),
            "seller_product_reference": as_reference(line.product_reference, source).to_topi(),
        }
        if line.subtitle:
            body["subtitle"] = line.subtitle
        return body
