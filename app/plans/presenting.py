"""Presenting a plan's task text with its targets marked."""
from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from app.plan_parser import Target, Task


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


def quantities(task: Task) -> tuple[list[tuple[int, Target]], list[tuple[int, Target]]]:
    """The task's detected quantities with their positions: (targets, conditions), conditions listed apart."""
    numbered = list(enumerate(task.targets))
    return [(i, t) for i, t in numbered if t.is_target], [(i, t) for i, t in numbered if not t.is_target]

