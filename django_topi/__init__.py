"""django-topi: offer "Rent with topi" in a Django shop."""

__version__ = "0.1.0"
