"""work_item indexes for 待办 by role and due date, and 已办 by person

Revision ID: 0025
Revises: 0020
Create Date: 2026-12-02 10:55:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.create_index('ix_work_item_open_queue', ['role', 'due_at', 'id'], unique=False,
                              sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))
        batch_op.create_index('ix_work_item_completed_by', ['completed_by_id', 'completed_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index('ix_work_item_completed_by')
        batch_op.drop_index('ix_work_item_open_queue')
