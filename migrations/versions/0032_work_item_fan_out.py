"""work_item.fan_out: what a completed step still has to tell others, fanned out by the scheduler's tick

Revision ID: 0032
Revises: 0019
Create Date: 2026-12-02 14:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0032'
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fan_out', sa.JSON(none_as_null=True), nullable=True))
        batch_op.create_index('ix_work_item_fan_out', ['id'], unique=False,
                              sqlite_where=sa.text('fan_out IS NOT NULL'),
                              postgresql_where=sa.text('fan_out IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index('ix_work_item_fan_out')
        batch_op.drop_column('fan_out')
