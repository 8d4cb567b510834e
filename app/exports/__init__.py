"""Documents 督审处 sends as they are: the 督查台账 (.xlsx), the 督查通报 (.docx), the assessment scores (.xlsx).

Every figure comes from app.services.dashboards, the same functions the dashboards show.
"""
from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from app.errors import NotFound
from app.models import Plan
from app.services.dashboards.facts import Filters
from app.services.plans.plan_scope import Scope, as_scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Document:
    """A built document: its bytes, media type, Chinese file name and the ASCII one for older programs."""

    filename: str
    mimetype: str
    data: bytes
    ascii_filename: str

    @property
    def content_disposition(self) -> str:
        """The download header: the Chinese name (RFC 5987) with its own ASCII fallback, distinct per kind."""
        return f"attachment; filename=\"{self.ascii_filename}\"; filename*=UTF-8''{quote(self.filename)}"

    def stream(self) -> io.BytesIO:
        """The bytes as a file object for send_file."""
        return io.BytesIO(self.data)


#: Export kind → (file name stem, media type).
KINDS = {"ledger": ("督查台账", XLSX), "bulletin": ("督查通报", DOCX), "assessment": ("考核评分", XLSX)}
#: Characters file systems refuse in a name.
UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\s]+')


def silent(percent: int) -> None:
    """A progress callback that reports nowhere (a document built within the request)."""


def file_names(source: str, source_ascii: str, stem: str, kind: str, day: date, extension: str) -> tuple[str, str]:
    """The Chinese download name after the plan (or other source) and the day, and a distinct ASCII fallback."""
    name = UNSAFE_IN_FILE_NAMES.sub("_", f"{source}_{stem}_{day.isoformat()}")
    return f"{name}.{extension}", f"{source_ascii}-{kind}-{day.isoformat()}.{extension}"


def build_document(kind: str, subject: Plan | Scope, as_of: date, progress: Callable[[int], None] = silent,
                   filters: Filters | None = None) -> Document:
    """Build one export of a plan, or of the plans and items of a scope, as of ``as_of``, telling ``progress``
    how far it is (0–100) as it goes; the 台账 keeps only the tasks passing the dashboard's ``filters``.

    :raises NotFound: an unknown kind.
    """
    if kind not in KINDS:
        raise NotFound("没有这种导出文件。")
    from app.exports import assessment_xlsx, bulletin_docx, ledger_xlsx

    stem, mimetype = KINDS[kind]
    extension = "docx" if mimetype == DOCX else "xlsx"
    scope = as_scope(subject)
    filename, ascii_filename = file_names(scope.title, _ascii_source(scope), stem, kind, as_of, extension)
    if kind == "ledger":
        data = ledger_xlsx.build(scope, as_of, progress, filters)
    else:
        data = {"bulletin": bulletin_docx.build, "assessment": assessment_xlsx.build}[kind](scope, as_of, progress)
    return Document(filename, mimetype, data, ascii_filename)


def _ascii_source(scope: Scope) -> str:
    """The ASCII name of what a scope covers: plan12, leader_instruction, all."""
    if scope.plan is not None:
        return f"plan{scope.plan.id}"
    return scope.source.value if scope.source is not None else "all"


def rectifications_document(status: str | None, day: date, organisation_id: int | None = None) -> Document:
    """The 整改台账 filtered as the rectification list is (one status, "open" for 未销号, or all), as of ``day``."""
    from app.exports import rectifications_xlsx
    from app.models import RectificationStatus
    from app.services.follow_up import rectification_view

    chosen = RectificationStatus(status) if status in set(RectificationStatus) else None
    source = chosen.label if chosen else "未销号" if status == "open" else "全部"
    listed = rectification_view.list_rectifications(chosen, status == "open", organisation_id)
    ascii_source = chosen.value if chosen else "open" if status == "open" else "all"
    filename, ascii_filename = file_names(source, ascii_source, "整改台账", "rectifications", day, "xlsx")
    return Document(filename, XLSX, rectifications_xlsx.build(listed, f"整改台账（{source}）", day), ascii_filename)
