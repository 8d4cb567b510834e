"""Numbers as users read them: no trailing zeros, rates with one decimal at most, sizes as limits are stated."""
from decimal import Decimal

import pytest

from app.formatting import file_size, percent_text, plain_number


@pytest.mark.parametrize(("value", "shown"), [
    (15.0, "15"), (Decimal("99.50"), "99.5"), (Decimal("320000.000000"), "320000"), (0, "0"),
    (Decimal("0.500000"), "0.5"), (Decimal("1E+3"), "1000"), (-2.5, "-2.5"), ("18.000", "18"),
])
def test_plain_number(value, shown):
    assert plain_number(value) == shown


@pytest.mark.parametrize(("value", "shown"), [(40.0, "40%"), (66.7, "66.7%"), (100.0, "100%"), (None, "—")])
def test_percent_text(value, shown):
    assert percent_text(value) == shown


@pytest.mark.parametrize(("size", "shown"), [(10 * 1024 * 1024, "10 MB"), (1536 * 1024, "1.5 MB"),
                                             (64 * 1024, "64 KB"), (100, "1 KB")])
def test_file_size(size, shown):
    assert file_size(size) == shown
