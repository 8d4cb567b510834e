"""extension request approved date, one pending per item

Revision ID: 0012
Revises: 0009
Create Date: 2026-11-24 11:35:52.096808

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('uq_extension_request_pending', ['work_item_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))



def downgrade():
    with op.batch_alter_table('extension_request', schema=None) as batch_op:
        batch_op.drop_index('uq_extension_request_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_column('approved_due_at')

