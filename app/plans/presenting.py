"""Presenting a plan's task text with its targets marked."""
from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape


def mark_spans(text: str, spans: Iterable[tuple[int, int]]) -> Markup:
    """The text, HTML-escaped, with each (start, end) span wrapped in <mark>."""
    parts: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        if start < cursor:
            continue  # overlapping spans: keep the first
        parts += [escape(text[cursor:start]), Markup('<mark class="duban-target">'), escape(text[start:end]),
                  Markup("</mark>")]
        cursor = end
    parts.append(escape(text[cursor:]))
    return Markup("").join(parts).replace("\n", Markup("<br>"))
