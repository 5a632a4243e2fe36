"""{% topi_button %}: an accessible, CSRF-protected form that works without JavaScript."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def render(source: str, path: str = "/cart/") -> str:
    from django.middleware.csrf import get_token

    request = RequestFactory().get(path)
    token = get_token(request)
    return Template("{% load topi %}" + source).render(
        Context({"request": request, "csrf_token": token})
    )


def test_the_button_posts_to_the_checkout_with_a_csrf_token():
    html = render("{% topi_button %}")

    assert '<form method="post" action="/topi/checkout/"' in html
    assert re.search(r'<input type="hidden" name="csrfmiddlewaretoken" value="\w+"', html)
    assert '<button type="submit" class="topi-button">Rent with topi</button>' in html
    assert '<input type="hidden" name="next" value="/cart/">' in html


def test_label_class_and_next_are_optional_arguments():
    html = render(
        '{% topi_button label="Jetzt mieten" css_class="btn btn-primary" next="/basket/" %}'
    )

    assert '<button type="submit" class="btn btn-primary">Jetzt mieten</button>' in html
    assert 'name="next" value="/basket/"' in html


def test_the_button_disables_itself_after_the_first_click():
    html = render("{% topi_button %}")
    assert "b.disabled=true" in html
    assert "if(b.disabled){return false}" in html


def test_the_label_is_translated():
    from django.utils import translation

    with translation.override("de"):
        html = render("{% topi_button %}")
    assert "Mit topi mieten" in html


def test_the_template_can_be_overridden(settings, tmp_path):
    (tmp_path / "django_topi").mkdir()
    (tmp_path / "django_topi" / "button.html").write_text(
        "<a class='mine' href='{{ action }}'>{{ label }}</a>"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    assert (
        render("{% topi_button %}") == "<a class='mine' href='/topi/checkout/'>Rent with topi</a>"
    )


def test_a_browser_without_the_token_is_refused(web):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    assert browser.post("/topi/checkout/", {"next": "/cart/"}).status_code == 403
