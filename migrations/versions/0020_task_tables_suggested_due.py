"""task tables and plan revisions: an import draft's kind, column mapping and the plan it revises;
a task's suggested due date and its cancellation

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-02 11:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('plan_import_draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='document'))
        batch_op.add_column(sa.Column('columns', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('revises_plan_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_plan_import_draft_revises_plan_id_plan', 'plan', ['revises_plan_id'], ['id'])
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suggested_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('deadline_phrase', sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('deadline_phrase')
        batch_op.drop_column('suggested_due')
    with op.batch_alter_table('plan_import_draft', schema=None) as batch_op:
        batch_op.drop_constraint('fk_plan_import_draft_revises_plan_id_plan', type_='foreignkey')
        batch_op.drop_column('revises_plan_id')
        batch_op.drop_column('columns')
        batch_op.drop_column('kind')
