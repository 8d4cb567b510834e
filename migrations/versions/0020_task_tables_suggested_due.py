"""task tables: an import draft's kind and column mapping; a task's suggested due date

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-02 11:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan_import_draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='document'))
        batch_op.add_column(sa.Column('columns', sa.JSON(), nullable=True))
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggested_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('deadline_phrase', sa.String(length=60), nullable=True))


def downgrade():
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.drop_column('deadline_phrase')
        batch_op.drop_column('suggested_due')
    with op.batch_alter_table('plan_import_draft', schema=None) as batch_op:
        batch_op.drop_column('columns')
        batch_op.drop_column('kind')
