"""Domain signals for shop code. Each is sent after the transaction commits, once per real change.

``offer_status_changed`` / ``order_status_changed``: sender is the model class; kwargs
``instance``, ``source``, ``target``, ``origin`` (``webhook``, ``admin``, ``api``, ``return``,
``sync`` or ``local``), ``user`` and ``event`` (the ``WebhookEvent``, if any).

``offer_accepted``, ``offer_declined``, ``order_canceled``, ``order_completed``: the same kwargs
plus ``conflict`` (``""``, or what topi reported that does not fit: for ``offer_accepted``, an
amount other than the shop sent), sent with the status change they name. ``order_created``: an
order django-topi had not seen before (kwargs ``instance``, ``origin``, ``user``, ``event``).

``offer_conflict`` / ``order_conflict``: a conflict appeared on the row (kwargs ``instance``,
``conflict``, ``origin``, ``user``, ``event``); sent once per new conflict, not again while it
stands. django-topi's own receiver mails the site's ``ADMINS`` (``TOPI["CONFLICT_EMAILS"]``).

``webhook_received`` (a delivery passed verification and was stored), ``webhook_processed``
(after its transaction committed) and ``webhook_failed`` (kwarg ``error``): sender is
``WebhookEvent``, kwarg ``event``.

Receivers run after the data is safely stored; one that raises is logged and does not stop the
others.
"""

from django.dispatch import Signal

offer_status_changed = Signal()
order_status_changed = Signal()
offer_accepted = Signal()
offer_declined = Signal()
order_created = Signal()
order_canceled = Signal()
order_completed = Signal()
offer_conflict = Signal()
order_conflict = Signal()
webhook_received = Signal()
webhook_processed = Signal()
webhook_failed = Signal()
