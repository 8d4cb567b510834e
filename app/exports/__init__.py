"""Documents 督审处 sends as they are: the 督查台账 (.xlsx), the 督查通报 (.docx), the assessment scores (.xlsx).

Every figure comes from app.services.dashboards, the same functions the dashboards show.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from app.errors import NotFound
from app.models import Plan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Document:
    """A built document: its bytes, media type and Chinese file name."""

    filename: str
    mimetype: str
    data: bytes

    def stream(self) -> io.BytesIO:
        """The bytes as a file object for send_file."""
        return io.BytesIO(self.data)


#: Export kind → (file name stem, media type).
KINDS = {"ledger": ("督查台账", XLSX), "bulletin": ("督查通报", DOCX), "assessment": ("考核评分", XLSX)}


def silent(percent: int) -> None:
    """A progress callback that reports nowhere (a document built within the request)."""


def build_document(kind: str, plan: Plan, as_of: date, progress: Callable[[int], None] = silent) -> Document:
    """Build one export of ``plan`` as of ``as_of``, telling ``progress`` how far it is (0–100) as it goes.

    :raises NotFound: an unknown kind.
    """
    if kind not in KINDS:
        raise NotFound("没有这种导出文件。")
    from app.exports import assessment_xlsx, bulletin_docx, ledger_xlsx

    builder = {"ledger": ledger_xlsx.build, "bulletin": bulletin_docx.build, "assessment": assessment_xlsx.build}[kind]
    stem, mimetype = KINDS[kind]
    extension = "docx" if mimetype == DOCX else "xlsx"
    return Document(f"{plan.year}年{stem}_{as_of.isoformat()}.{extension}", mimetype, builder(plan, as_of, progress))
