"""Cells for every .xlsx export: what a user typed is written as text, never as a formula.

openpyxl turns any string that starts with ``=`` into a formula (a milestone titled
``=HYPERLINK(...)`` would run in 督审处's Excel), and spreadsheet programs re-read text that starts
with ``+``, ``-``, ``@``, a tab or a carriage return as a formula once someone edits the cell.
So every string cell is forced to the string type, and those get Excel's quote prefix as well.
Numbers, dates and empty cells are left alone.
"""
from __future__ import annotations

from openpyxl.cell import Cell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

#: First characters a spreadsheet may read as the start of a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def cell(sheet: Worksheet | WriteOnlyWorksheet, value: object) -> Cell:
    """A cell of ``sheet`` holding ``value``; text always stays text (for ``append`` in either mode)."""
    made = Cell(sheet, row=1, column=1, value=value)  # append places it
    if isinstance(value, str):
        made.data_type = "s"
        if value.startswith(FORMULA_TRIGGERS):
            made.quotePrefix = True
    return made


def row(sheet: Worksheet | WriteOnlyWorksheet, values: list[object]) -> list[Cell]:
    """The cells of one row, for ``sheet.append``."""
    return [cell(sheet, value) for value in values]


def display_width(text: str) -> int:
    """Width in half-width characters (digits): a Chinese character or full-width mark counts two."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)
