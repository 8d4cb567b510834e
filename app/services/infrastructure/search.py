"""Search: by 督办编号, keyword or unit, across everything ``search_index`` keeps, as far as the user may see.

Every term is looked up in an index, never by scanning rows in Python: a term of three characters or more
through SQLite FTS5's trigram tokenizer or PostgreSQL's pg_trgm GIN index (a substring match), a shorter one
("抽检", "18") as a whole gram in the gram index. All terms must match. Results rank the task whose number
was asked for first, then entries whose title holds every term, then the rest.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import ARRAY, Integer, Text, and_, case, cast, column, false, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.sql.elements import ColumnElement

from app.extensions import db
from app.models import Plan, PlanTask, SearchEntry, User
from app.services.infrastructure.search_index import KIND_LABELS
from app.services.infrastructure.visibility import visible_task_ids

#: Longer queries are refused: nobody types more, and each term costs an index lookup.
MAX_QUERY_LENGTH = 100
MAX_TERMS = 8
PAGE_SIZE = 20
#: Counting stops here ("1000 多条"): the count of a very common word would cost more than the page.
MAX_COUNTED = 1000
#: From three characters a term is matched by trigrams; shorter terms by whole grams.
TRIGRAM = 3
#: Characters of text shown around the first match.
EXCERPT_BEFORE, EXCERPT_AFTER = 30, 90

#: 督〔2026〕18号, 督[2026]18号, 18号, 第18号, 18 — the task number, with the plan year when given.
NUMBER = re.compile(r"^(?:督\s*[〔\[(（]?\s*(?P<year>\d{4})\s*[〕\])）]?\s*)?第?\s*(?P<number>\d{1,4})\s*号?$")


@dataclass(frozen=True)
class Query:
    """What the user typed, cleaned: the terms, and the task number when the query is one."""

    text: str
    terms: tuple[str, ...]
    number: int | None = None
    year: int | None = None
    #: Why nothing was searched, in Chinese (empty query, too long…).
    problem: str | None = None


def parse(raw: str | None) -> Query:
    """Clean the query: control characters (NUL…) dropped, spaces collapsed, at most ``MAX_TERMS`` terms."""
    cleaned = "".join(char for char in (raw or "") if unicodedata.category(char) not in ("Cc", "Cf", "Cs"))
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        return Query("", ())
    if len(cleaned) > MAX_QUERY_LENGTH:
        return Query(cleaned[:MAX_QUERY_LENGTH], (), problem=f"检索词过长:最多 {MAX_QUERY_LENGTH} 个字,请缩短后再查。")
    terms = tuple(dict.fromkeys(cleaned.split()))[:MAX_TERMS]
    number = NUMBER.match(cleaned)
    if number:
        year = int(number["year"]) if number["year"] else None
        return Query(cleaned, terms, int(number["number"]), year)
    return Query(cleaned, terms)


@dataclass(frozen=True)
class Hit:
    """One result row, its title and excerpt with the matches marked (escaped, safe to render)."""

    kind: str
    source_id: int
    plan_task_id: int
    supervision_number: str | None
    task_number: int
    plan_title: str
    title: Markup
    excerpt: Markup
    number_match: bool

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class Results:
    """A page of hits, with what the pager needs (``_pager.html``)."""

    query: Query
    items: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PAGE_SIZE

    @property
    def more(self) -> bool:
        """True when there are more matches than were counted (``total`` is then ``MAX_COUNTED`` + 1)."""
        return self.total > MAX_COUNTED

    @property
    def pages(self) -> int:
        return max((self.total + self.per_page - 1) // self.per_page, 1) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _like_pattern(term: str) -> str:
    """``%term%`` with LIKE's wildcards and escape character taken literally."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts(table: str, phrase: str, name: str) -> ColumnElement[bool]:
    """Entries whose row in the FTS5 ``table`` matches ``phrase`` (a quoted string: no FTS syntax applies)."""
    quoted = '"' + phrase.replace('"', '""') + '"'
    rows = text(f"SELECT rowid FROM {table} WHERE {table} MATCH :{name}").bindparams(**{name: quoted})
    return SearchEntry.id.in_(rows.columns(column("rowid", Integer)))


def _is_gram(term: str) -> bool:
    return all(unicodedata.category(char)[0] in "LN" for char in term)


def _term_matches(term: str, position: int, dialect: str) -> ColumnElement[bool]:
    """Entries whose text holds ``term``, answered from an index."""
    if len(term) >= TRIGRAM:
        if dialect == "sqlite":
            return _fts("search_fts", term, f"term_{position}")
        return SearchEntry.document.ilike(_like_pattern(term), escape="\\")
    if not _is_gram(term):
        # Grams are letters and digits; one or two punctuation marks find nothing worth showing.
        return false()
    gram = term.lower()
    if dialect == "sqlite":
        return _fts("search_grams_fts", gram, f"term_{position}")
    # The expression must read exactly as the index's: string_to_array(grams, ' ').
    grams = func.string_to_array(SearchEntry.grams, literal_column("' '"))
    return grams.op("@>")(cast(array([gram]), ARRAY(Text)))


def _number_matches(query: Query) -> ColumnElement[bool]:
    if query.number is None:
        return false()
    found = and_(SearchEntry.kind == "task", SearchEntry.task_number == query.number)
    return and_(found, SearchEntry.plan_year == query.year) if query.year else found


def search(user: User, raw: str | None, page: int = 1, per_page: int = PAGE_SIZE) -> Results:
    """A page of what ``user`` may see that matches the query, best first.

    A query that reads as a task number finds that task alone when the user may see it; otherwise (no such
    task) its words are searched like any others.
    """
    query = parse(raw)
    results = Results(query, page=max(page, 1), per_page=per_page)
    if not query.terms or query.problem:
        return results
    visible = visible_task_ids(user)
    tasks = None if visible is None else list(db.session.scalars(visible))
    if tasks == []:
        return results
    if query.number is not None:
        _fill(results, _number_matches(query), tasks)
        if results.total:
            return results
    dialect = db.engine.dialect.name
    _fill(results, and_(*(_term_matches(term, i, dialect) for i, term in enumerate(query.terms))), tasks)
    return results


def _fill(results: Results, condition: ColumnElement[bool], tasks: list[int] | None) -> None:
    """Count the entries meeting ``condition`` (on ``tasks`` unless None: all) and load the page asked for."""
    if tasks is not None:
        # The ids themselves rather than a subquery: the planner then combines the indexes.
        condition = condition & SearchEntry.plan_task_id.in_(tasks)
    terms = results.query.terms
    in_title = and_(*(SearchEntry.title.ilike(_like_pattern(term), escape="\\") for term in terms))
    rank = case((_number_matches(results.query), 0), (in_title, 1), else_=2)
    kind_order = case({kind: i for i, kind in enumerate(KIND_LABELS)}, value=SearchEntry.kind, else_=99)
    counted = select(SearchEntry.id).where(condition).limit(MAX_COUNTED + 1).subquery()
    results.total = db.session.scalar(select(func.count()).select_from(counted)) or 0
    results.page = min(results.page, max(results.pages, 1))
    rows = db.session.execute(
        select(SearchEntry.kind, SearchEntry.source_id, SearchEntry.plan_task_id, SearchEntry.title,
               SearchEntry.document, rank.label("rank"))
        .where(condition)
        .order_by(rank, SearchEntry.plan_year.desc(), SearchEntry.task_number, kind_order, SearchEntry.source_id)
        .limit(results.per_page).offset((results.page - 1) * results.per_page)
    ).all()
    results.items = _hits(rows, results.query)


def _hits(rows: Sequence[Any], query: Query) -> list[Hit]:
    task_ids = {row.plan_task_id for row in rows}
    tasks = {task.id: task for task in db.session.execute(
        select(PlanTask.id, PlanTask.supervision_number, PlanTask.number, Plan.title)
        .join(Plan, Plan.id == PlanTask.plan_id).where(PlanTask.id.in_(task_ids)))} if task_ids else {}
    return [Hit(
        kind=row.kind, source_id=row.source_id, plan_task_id=row.plan_task_id,
        supervision_number=tasks[row.plan_task_id].supervision_number,
        task_number=tasks[row.plan_task_id].number, plan_title=tasks[row.plan_task_id].title,
        title=highlight(row.title, query.terms), excerpt=excerpt(row.document, row.title, query.terms),
        number_match=row.rank == 0,
    ) for row in rows]


def _spans(text_: str, terms: tuple[str, ...]) -> list[tuple[int, int]]:
    """Where the terms occur in ``text_`` (case-insensitive), overlapping spans merged."""
    folded = text_.lower()
    if len(folded) != len(text_):     # a character whose lower case is longer: match as written
        folded = text_
    spans = []
    for term in terms:
        needle = term.lower() if folded is not text_ else term
        start = folded.find(needle)
        while start >= 0 and needle:
            spans.append((start, start + len(needle)))
            start = folded.find(needle, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text_: str, terms: tuple[str, ...]) -> Markup:
    """``text_`` escaped, each occurrence of a term in ``<mark>``."""
    parts, last = [], 0
    for start, end in _spans(text_, terms):
        parts.append(escape(text_[last:start]))
        parts.append(Markup("<mark>%s</mark>") % text_[start:end])
        last = end
    parts.append(escape(text_[last:]))
    return Markup("").join(parts)


def excerpt(document: str, title: str, terms: tuple[str, ...]) -> Markup:
    """A stretch of the text after the title around the first match, highlighted."""
    body = document[len(title):].strip() if document.startswith(title) else document
    body = " ".join(body.split())
    spans = _spans(body, terms)
    start = max(spans[0][0] - EXCERPT_BEFORE, 0) if spans else 0
    end = min(start + EXCERPT_BEFORE + EXCERPT_AFTER, len(body))
    shown = highlight(body[start:end], terms)
    return Markup("").join([Markup("…") if start else Markup(""), shown, Markup("…") if end < len(body) else ""])
