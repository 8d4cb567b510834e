"""repair non-finite target actuals

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 05:50:00

``Infinity``, ``NaN`` and ``1e999`` were accepted as a target's actual value: SQLite stored
±Infinity (and any size), PostgreSQL stored NaN, and from then on every page that reads the
value failed. ``target_actual.actual`` is NOT NULL, so such a row is deleted, which leaves that
report with no actual for that target (what a blank field records); the same values are dropped
from a progress report's ``actuals``. Negative actuals, now refused on input, are kept: they are
finite and break nothing. There is nothing to restore on downgrade.
"""
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0016'
branch_labels = None
depends_on = None

#: NUMERIC(20, 6) holds less than 10^14 in absolute value.
_LIMIT = Decimal(10) ** 14

progress_report = sa.table('progress_report', sa.column('id', sa.Integer), sa.column('actuals', sa.JSON))


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("DELETE FROM target_actual WHERE actual = 'NaN'::numeric")
    else:
        op.execute("DELETE FROM target_actual WHERE actual IS NULL OR abs(actual) >= 1e14")
    text = sa.cast(progress_report.c.actuals, sa.Text)
    suspects = bind.execute(sa.select(progress_report).where(
        sa.or_(text.ilike('%nan%'), text.ilike('%inf%'), text.ilike('%e+%')))).all()
    for report_id, actuals in suspects:
        kept = {key: value for key, value in (actuals or {}).items() if _storable(value)}
        if kept != actuals:
            bind.execute(progress_report.update()
                         .where(progress_report.c.id == report_id).values(actuals=kept))


def _storable(value):
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False
    return number.is_finite() and abs(number) < _LIMIT


def downgrade():
    pass
