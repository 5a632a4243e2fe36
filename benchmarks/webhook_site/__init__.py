"""A benchmark-only Django site for ``benchmarks/webhooks.py``: django-topi's webhook beside a floor."""
