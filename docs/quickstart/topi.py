from django_topi.cart import Address, Cart, CartLine, Customer
from django_topi.catalog import CatalogProduct

from shop.models import Basket, Product


def get_cart(request):
    """The customer's cart, built on the server: prices never come from the browser."""
    basket = Basket.for_request(request)
    if not basket.lines:
        return None  # nothing to rent: the button is not shown
    return Cart(
        reference=basket.reference,  # stays the same while the customer retries
        lines=[
            CartLine(
                title=line.product.name,
                quantity=line.quantity,
                unit_price_net=line.product.net_price,  # net, a Decimal
                tax_rate=line.product.tax_rate,  # percent: the gross price is derived
                currency="EUR",
                product_reference=line.product.sku,  # as in the catalog
            )
            for line in basket.lines
        ],
        customer=Customer(email=basket.email, company_name=basket.company),
        shipping_address=Address(
            line1=basket.street,
            postal_code=basket.postal_code,
            city=basket.city,
            country_code=basket.country,
        ),
    )


def catalog_product(product):
    """A product as topi's catalog knows it; rental prices are asked for by its SKU."""
    return CatalogProduct(
        title=product.name,
        references=[product.sku],
        price_gross=product.gross_price,
        price_net=product.net_price,
        tax_rate=product.tax_rate,
    )


def catalog_products():
    """Every product, for `manage.py topi_sync_catalog`: a generator, so memory stays flat."""
    for product in Product.objects.order_by("pk").iterator():
        yield catalog_product(product)
