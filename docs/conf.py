"""Sphinx configuration for django-topi's documentation."""

import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# docs/_ext holds this project's own Sphinx extensions (lifecycle: the diagrams from states.py).
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()

from django_topi import __version__  # noqa: E402

project = "django-topi"
copyright = "2026, the django-topi maintainers"
release = __version__
version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "lifecycle",
    "operations",
    "architecture",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
html_theme = "furo"
html_title = f"django-topi {release}"
exclude_patterns = ["_build"]
