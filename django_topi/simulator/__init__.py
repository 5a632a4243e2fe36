"""A local imitation of topi: token endpoint, Seller API, Hosted Checkout and signed webhooks.

Add ``"django_topi.simulator"`` to ``INSTALLED_APPS`` and mount ``django_topi.simulator.urls``
(the example shop serves it under ``topi-simulator/``); ``TOPI["ENVIRONMENT"] = "simulator"``
points the client at it. It is for development and tests only: it refuses to start while
``DEBUG`` is off unless ``TOPI_SIMULATOR_ALLOW_PRODUCTION`` is set.
"""
