"""Counting middleware for the SQL pass of ``benchmarks/webhooks.py``.

``X-Queries``: statements Django sent through its cursors during the request (SELECT, INSERT,
UPDATE, DELETE and SAVEPOINT/RELEASE/ROLLBACK TO SAVEPOINT); statements sent together in one
``execute`` (django-topi's ``Writes``, joined by ``;``) count one each. ``X-Round-Trips``: the
``execute`` calls, each one round trip to the database. ``X-Transactions``: commits and
rollbacks of whole transactions, each of which also costs a BEGIN that psycopg sends itself and
that ``execute_wrapper`` does not see. ``X-Query-Kinds``: the statements by first word.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse


class CountQueries:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        kinds: Counter[str] = Counter()
        ends = [0]

        trips = [0]

        def count(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
            trips[0] += 1
            for statement in sql.split(";\n"):
                kinds[
                    statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
                ] += 1
            return execute(sql, *args)

        def ending(original: Callable[[], None]) -> Callable[[], None]:
            def end() -> None:
                ends[0] += 1
                original()

            return end

        wrapper: Any = connection
        originals = {name: getattr(wrapper, name) for name in ("_commit", "_rollback")}
        for name, original in originals.items():
            setattr(wrapper, name, ending(original))
        try:
            with connection.execute_wrapper(count):
                response = self.get_response(request)
        finally:
            for name in originals:
                delattr(wrapper, name)
        response["X-Queries"] = str(sum(kinds.values()))
        response["X-Transactions"] = str(ends[0])
        response["X-Round-Trips"] = str(trips[0])
        response["X-Query-Kinds"] = " ".join(f"{k}={n}" for k, n in sorted(kinds.items()))
        return response
