"""Extract text from a .docx, writing Word's automatic list numbers back into the text."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import docx
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from .archive import DOCX, check_archive
from .errors import DocumentError
from .text import int_to_cn

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Used when a paragraph's list level has no definition: the official-document convention.
_FALLBACK_LEVELS = (("chineseCounting", "%n、"), ("chineseCounting", "（%n）"),
                    ("decimal", "%n."), ("decimal", "（%n）"))


@dataclass
class Level:
    """One level of a list definition (w:lvl)."""

    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    restarts: bool = True  # w:lvlRestart="0" keeps counting across higher-level items


@dataclass
class ListNumbering:
    """List definitions of a document and the running counters per list instance."""

    levels: dict[str, dict[int, Level]] = field(default_factory=dict)  # numId -> ilvl -> Level
    counters: dict[str, dict[int, int]] = field(default_factory=dict)
    style_numbering: dict[str, tuple[str, int]] = field(default_factory=dict)  # styleId -> (numId, ilvl)


def docx_text(data: bytes) -> str:
    """Return the text of a .docx, one paragraph per line; raises DocumentError."""
    check_archive(data, "word/document.xml", DOCX)
    try:
        document = docx.Document(io.BytesIO(data))
        numbering = _load_numbering(document)
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError) as exc:
        raise DocumentError("无法读取该 .docx 文档，文件可能已损坏。") from exc
    lines = [_block_text(element, numbering) for element in _blocks(document.element.body)]
    return "\n".join(lines)


def _blocks(parent: etree._Element) -> Iterator[etree._Element]:
    """Paragraphs and tables in reading order, looking inside content controls."""
    for child in parent.iterchildren():
        if child.tag in (f"{W}p", f"{W}tbl"):
            yield child
        elif child.tag == f"{W}sdt":
            content = child.find(f"{W}sdtContent")
            if content is not None:
                yield from _blocks(content)


def _block_text(element: etree._Element, numbering: ListNumbering) -> str:
    """Text of a paragraph (with its list number) or of a table (a row per line)."""
    if element.tag == f"{W}tbl":
        rows = element.iter(f"{W}tr")
        return "\n".join("\t".join(_cell_text(cell) for cell in row.iter(f"{W}tc")) for row in rows)
    return _number_label(element, numbering) + _run_text(element)


def _cell_text(cell: etree._Element) -> str:
    """The paragraphs of one table cell, joined."""
    return "".join(_run_text(p) for p in cell.iter(f"{W}p"))


def _run_text(paragraph: etree._Element) -> str:
    """Visible text of a paragraph: w:t, tabs and breaks (deleted text is w:delText, skipped)."""
    parts = []
    for node in paragraph.iter(f"{W}t", f"{W}tab", f"{W}br", f"{W}cr"):
        if node.tag == f"{W}t":
            parts.append(node.text or "")
        elif node.tag == f"{W}tab":
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _attr(element: etree._Element | None, child: str) -> str | None:
    """The w:val of a child element, or None."""
    if element is None:
        return None
    found = element.find(f"{W}{child}")
    return None if found is None else found.get(f"{W}val")


def _load_numbering(document: docx.document.Document) -> ListNumbering:
    """Read abstractNum/num definitions and styles that carry numbering."""
    result = ListNumbering()
    numbering_xml = _numbering_element(document)
    if numbering_xml is not None:
        abstract = {a.get(f"{W}abstractNumId"): _levels(a)
                    for a in numbering_xml.iter(f"{W}abstractNum")}
        for num in numbering_xml.iter(f"{W}num"):
            levels = dict(abstract.get(_attr(num, "abstractNumId"), {}))
            for override in num.iter(f"{W}lvlOverride"):
                _apply_override(levels, override)
            result.levels[num.get(f"{W}numId") or ""] = levels
    for style in document.styles.element.iter(f"{W}style"):
        num_pr = style.find(f"{W}pPr/{W}numPr")
        num_id = _attr(num_pr, "numId")
        if num_id:
            result.style_numbering[style.get(f"{W}styleId") or ""] = (num_id, int(_attr(num_pr, "ilvl") or 0))
    return result


def _numbering_element(document: docx.document.Document) -> etree._Element | None:
    """The numbering part's XML, or None when the document has no lists."""
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/numbering") and not rel.is_external:
            return etree.fromstring(rel.target_part.blob, _SAFE_XML)
    return None


#: python-docx's own parts are read without entity expansion; the numbering part must be too.
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True)


def _levels(abstract: etree._Element) -> dict[int, Level]:
    """Parse the w:lvl children of one abstractNum."""
    levels = {}
    for lvl in abstract.iter(f"{W}lvl"):
        levels[int(lvl.get(f"{W}ilvl") or 0)] = Level(
            start=int(_attr(lvl, "start") or 1), fmt=_attr(lvl, "numFmt") or "decimal",
            text=_attr(lvl, "lvlText") or "", restarts=_attr(lvl, "lvlRestart") != "0")
    return levels


def _apply_override(levels: dict[int, Level], override: etree._Element) -> None:
    """Apply a w:lvlOverride (a new start value or a whole replacement level)."""
    ilvl = int(override.get(f"{W}ilvl") or 0)
    replacement = override.find(f"{W}lvl")
    if replacement is not None:
        levels.update(_levels(override))
    start = _attr(override, "startOverride")
    if start is not None:
        base = levels.get(ilvl, Level())
        levels[ilvl] = Level(int(start), base.fmt, base.text, base.restarts)


def _paragraph_list(paragraph: etree._Element, numbering: ListNumbering) -> tuple[str, int] | None:
    """(numId, ilvl) of a numbered paragraph, from its own numPr or its style's."""
    p_pr = paragraph.find(f"{W}pPr")
    num_pr = None if p_pr is None else p_pr.find(f"{W}numPr")
    style_id = _attr(p_pr, "pStyle")
    inherited = numbering.style_numbering.get(style_id or "")
    num_id = _attr(num_pr, "numId") or (inherited[0] if inherited else None)
    if not num_id or num_id == "0":
        return None
    ilvl = _attr(num_pr, "ilvl")
    return num_id, int(ilvl) if ilvl is not None else (inherited[1] if inherited else 0)


def _number_label(paragraph: etree._Element, numbering: ListNumbering) -> str:
    """The number Word would display before this paragraph, advancing the counters."""
    found = _paragraph_list(paragraph, numbering)
    if found is None:
        return ""
    num_id, ilvl = found
    levels = numbering.levels.get(num_id, {})
    level = levels.get(ilvl) or _fallback(ilvl)
    if level.fmt in ("bullet", "none"):
        return ""
    counters = numbering.counters.setdefault(num_id, {})
    counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
    for deeper in [k for k in counters if k > ilvl]:
        if (levels.get(deeper) or _fallback(deeper)).restarts:
            del counters[deeper]
    return _render(level.text, counters, levels)


def _fallback(ilvl: int) -> Level:
    """A conventional level definition for a level the document does not define."""
    fmt, text = _FALLBACK_LEVELS[min(ilvl, len(_FALLBACK_LEVELS) - 1)]
    return Level(fmt=fmt, text=text.replace("%n", f"%{ilvl + 1}"))


def _render(template: str, counters: dict[int, int], levels: dict[int, Level]) -> str:
    """Fill %1…%9 in a level text and make sure the label ends in a separator."""
    label = template
    for ilvl in range(9):
        placeholder = f"%{ilvl + 1}"
        if placeholder in label:
            level = levels.get(ilvl) or _fallback(ilvl)
            label = label.replace(placeholder, format_number(counters.get(ilvl, level.start), level.fmt))
    if label[-1:].isdigit():
        label += "."
    elif label[-1:] in "零一二三四五六七八九十百":
        label += "、"
    return label


def format_number(value: int, fmt: str) -> str:
    """Render a list counter in a Word numFmt (decimal, chineseCounting, circled …)."""
    if fmt.startswith("chinese") or fmt in ("ideographDigital", "japaneseCounting", "taiwaneseCounting"):
        return int_to_cn(value)
    if fmt.startswith("decimalEnclosedCircle") and 1 <= value <= 20:
        return chr(0x2460 + value - 1)
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (value - 1) % 26)
        return letter if fmt == "upperLetter" else letter.lower()
    return str(value)
