"""milestone_report: 存在问题, 下步计划, 需协调事项

Revision ID: 0026
Revises: 0019
Create Date: 2026-12-02 14:40:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0019'
branch_labels = None
depends_on = None

COLUMNS = ('problems', 'next_steps', 'coordination')


def upgrade():
    with op.batch_alter_table('milestone_report', schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('milestone_report', schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
