from django.core.mail import mail_managers
from django.dispatch import receiver
from django_topi.signals import order_canceled, order_created


@receiver(order_created)
def new_topi_order(sender, instance, **kwargs):
    mail_managers(
        f"topi order {instance.seller_offer_reference}",
        "topi approved it. Acknowledge it in the admin, then confirm and ship it.",
    )


@receiver(order_canceled)
def canceled_topi_order(sender, instance, **kwargs):
    mail_managers(f"topi order {instance.seller_offer_reference} canceled", "Do not ship it.")
