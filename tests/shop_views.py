"""A stand-in shop cart page for browser tests: the button as a shop would place it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines

CART_PAGE = """{% load topi %}<!doctype html><html lang="en"><body>
<ul id="messages">{% for message in messages %}<li>{{ message }}</li>{% endfor %}</ul>
{% topi_button %}
</body></html>"""


def cart_page(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string(CART_PAGE)
    return HttpResponse(template.render({}, request))
