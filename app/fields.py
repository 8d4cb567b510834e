"""Form fields shared by several blueprints, and the bounds every number, id and day typed in must keep."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import DateField, DecimalField, Field, FieldList, FormField, SelectMultipleField, widgets
from wtforms.validators import StopValidation

from app.formatting import plain_number

#: The largest id a URL or a form may name: primary keys are INTEGER, 32 bits on PostgreSQL.
MAX_ID = 2**31 - 1
#: A day typed in (a deadline, an as-of day, a holiday) must fall within these, or it is refused.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)
_DAY_FORMAT = "日期格式应为 年-月-日,例如 2023-10-09。"
_DAY_RANGE = "日期应在 2000-01-01 到 2100-12-31 之间。"
#: Amounts are stored as NUMERIC(20, 6): at most 14 digits before the decimal point.
AMOUNT_LIMIT = Decimal(10) ** 14


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def parse_id(text: object) -> int | None:
    """``text`` as a database id (1 … 2^31 − 1), or None when it is not one."""
    value = str(text).strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def parse_day(text: str) -> date:
    """A day written 年-月-日 within the sane window.

    :raises ValueError: with a Chinese message, for another format or a day outside the window.
    """
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ValueError(_DAY_FORMAT) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValueError(_DAY_RANGE)
    return day


class DayField(DateField):
    """A date input whose day must be 年-月-日 within 2000-01-01 … 2100-12-31 (Chinese messages)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the day; a bad or out-of-window one leaves data None and records why."""
        if not valuelist or not valuelist[0].strip():
            return
        self.data = None
        self.data = parse_day(valuelist[0])

    def pre_validate(self, form: object) -> None:
        """A day typed wrongly says so; DataRequired would replace that with "please fill in"."""
        if self.process_errors:
            raise StopValidation()


class AmountField(DecimalField):
    """A quantity reached so far: a finite, non-negative number that NUMERIC(20, 6) can hold."""

    def __init__(self, label: str | None = None, validators: list | None = None, **kwargs: object) -> None:
        super().__init__(label, validators, places=None, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse the number; refuse text, NaN, infinities, negatives and values too large to store."""
        if not valuelist or not str(valuelist[0]).strip():
            return
        self.data = None
        self.data = check_amount(str(valuelist[0]))

    def _value(self) -> str:
        """What the user typed, else the stored amount without trailing zeros (320000.000000 → 320000)."""
        if self.raw_data:
            return str(self.raw_data[0])
        return plain_number(self.data) if self.data is not None else ""


def as_of_day(text: str | None, today: date) -> date:
    """The day a page or document is taken as of (``?as_of=``): ``today`` when not given.

    :raises ValidationFailed: not a day in the window.
    """
    from app.errors import ValidationFailed  # here: app.errors imports this module (leaf_fields)

    text = (text or "").strip()
    try:
        return parse_day(text) if text else today
    except ValueError as error:
        raise ValidationFailed(f"统计{error}") from error


def check_amount(text: str) -> Decimal:
    """``text`` as an amount.

    :raises ValueError: with a Chinese message saying what is wrong.
    """
    try:
        value = Decimal(text.strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValueError("请填写数字,例如 230000 或 12.5。") from None
    if not value.is_finite():
        raise ValueError("请填写有限的数字(不接受 NaN、Infinity 等)。")
    if value < 0:
        raise ValueError("实际完成值不能为负数。")
    if value >= AMOUNT_LIMIT:
        raise ValueError("数值过大,最多 14 位整数。")
    return value


def leaf_fields(fields: Any) -> Iterator[Field]:
    """Every leaf field of a form, inside lists and sub-forms too."""
    for field in fields:
        if isinstance(field, (FieldList, FormField)):
            yield from leaf_fields(field)
        else:
            yield field
