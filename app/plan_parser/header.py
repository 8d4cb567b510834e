"""Find the document's title, issuing body, date and 文号 in its unnumbered front matter."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from .text import cn_to_int, strip_end_punct

_TITLE_ENDINGS = re.compile(
    r"(要点|意见|通知|方案|计划|规划|办法|决定|安排|措施|细则|纲要|规定|清单|任务分工|分工|报告|通报|函)$")
_ARABIC_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_CN_DATE = re.compile(r"^([〇○零一二三四五六七八九]{4})年"
                      r"([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$")
_DOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{1,12}[〔\[［(（]\d{4}[〕\]］)）]\s*\d{1,4}\s*号$")
# A sentence that quotes the plan's own title: "《X》已经…印发" (the 《 is sometimes missing).
_QUOTED_TITLE = re.compile(r"^[《]?([^《》]{4,60})》(?:已经|已|现|经)")
# "关于印发《X》的通知" wraps the plan X: the plan's own name is the useful title.
_ISSUING_NOTICE = re.compile(r"关于印发《?(.+?)》?的(?:通知|函)$")
_ORG_ENDINGS = re.compile(r"(局|办公室|厅|院|委员会|委|部|政府|国务院|中心|办|会|处|署|组)$")
_FOOTER = re.compile(r"^[(（][^()（）]{1,20}[)）]$")


@dataclass
class Header:
    """What the front matter and signature block say about the document."""

    title: str | None = None
    issuing_body: str | None = None
    issuing_date: datetime.date | None = None
    document_number: str | None = None


def parse_date(line: str) -> datetime.date | None:
    """Parse a stand-alone date line such as 2023年2月3日 or 二〇二三年二月三日."""
    line = re.sub(r"\s+", "", line)
    match = _ARABIC_DATE.match(line)
    if match:
        parts = [int(g) for g in match.groups()]
    else:
        match = _CN_DATE.match(line)
        if not match:
            return None
        year = "".join(str(cn_to_int(ch) or 0) for ch in match.group(1))
        parts = [int(year), cn_to_int(match.group(2)) or 0, cn_to_int(match.group(3)) or 0]
    try:
        return datetime.date(parts[0], parts[1], parts[2])
    except ValueError:
        return None


def is_footer_line(line: str) -> bool:
    """True for signature-block lines: a date, or a short note such as （此件公开发布）."""
    return parse_date(line) is not None or bool(_FOOTER.match(line))


def _is_short_heading(line: str) -> bool:
    """A short line without sentence punctuation: a title fragment or an organisation."""
    return len(line) <= 40 and not re.search(r"[。；;，,:：！？]", line)


def find_title(front: list[str]) -> str | None:
    """Pick the title: a short line ending like a title, joined with fragments above it."""
    for index, line in enumerate(front):
        if not _is_short_heading(line) or not _TITLE_ENDINGS.search(_without_qualifier(line)):
            continue
        if parse_date(line) or _DOC_NUMBER.match(line):
            continue
        parts = [line]
        # Titles wrap over two or three lines in published documents.
        cursor = index - 1
        while cursor >= 0 and len(parts) < 3 and _is_title_fragment(front[cursor]):
            parts.insert(0, front[cursor])
            cursor -= 1
        title = "".join(parts)
        notice = _ISSUING_NOTICE.search(title)
        return notice.group(1) if notice else title
    return _quoted_title(front)


def _without_qualifier(line: str) -> str:
    """Drop a trailing "（试行）" or "（2023—2025年）" before checking how a title ends."""
    return re.sub(r"[（(][^（）()]{1,15}[)）]$", "", line)


def _is_title_fragment(line: str) -> bool:
    """A line above the title line that continues it (not a date, 文号 or organisation)."""
    return (_is_short_heading(line) and parse_date(line) is None
            and not _DOC_NUMBER.match(line) and not _TITLE_ENDINGS.search(line)
            and not _ORG_ENDINGS.search(line))


def _quoted_title(front: list[str]) -> str | None:
    """Fall back to the title quoted in a sentence such as 《X》已经…印发."""
    for line in front:
        match = _QUOTED_TITLE.match(line)
        if match:
            return strip_end_punct(match.group(1))
    return None


def find_signature(paragraphs: list[str]) -> tuple[str | None, datetime.date | None]:
    """Find the issuing body and date: a short organisation line directly above a date line."""
    for index, line in enumerate(paragraphs):
        date = parse_date(line)
        if date is None:
            continue
        above = paragraphs[index - 1] if index > 0 else ""
        if above and _is_short_heading(above) and _ORG_ENDINGS.search(above):
            return above, date
        return None, date
    return None, None


def parse_header(front: list[str], paragraphs: list[str]) -> Header:
    """Collect title (from the front matter) and signature (from the whole document)."""
    body, date = find_signature(paragraphs)
    number = next((line for line in front if _DOC_NUMBER.match(line)), None)
    return Header(find_title(front), body, date, number)
