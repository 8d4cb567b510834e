"""URL converters: every ``<int:…>`` in a route refuses ids the database cannot hold (a 404, never a 500)."""
from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from app.fields import MAX_ID


class IdConverter(IntegerConverter):
    """``int`` bounded to 0 … 2^31 − 1 (an INTEGER key) unless a route says otherwise.

    A larger id matches no route, so it is a 404 everywhere before any query is made.
    """

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def register_converters(app: Flask) -> None:
    """Replace Werkzeug's ``int`` converter; must run before any blueprint adds its routes."""
    app.url_map.converters["int"] = IdConverter
