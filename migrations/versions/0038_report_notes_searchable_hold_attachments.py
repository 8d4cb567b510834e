"""attachments of 中止/阶段性办结 requests (attachment.task_hold_request_id, in the one-owner CHECK); the search
index rewritten with the reports' 存在问题 / 下步计划 / 需协调事项

Revision ID: 0038
Revises: 0028
Create Date: 2026-12-02 15:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0030'
branch_labels = None
depends_on = None

OWNERS = ('milestone_report', 'cooperating_contribution', 'rectification_submission', 'appeal')


def _one_set(*targets):
    return ' + '.join(f'CASE WHEN {t}_id IS NULL THEN 0 ELSE 1 END' for t in targets) + ' = 1'


def upgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_hold_request_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_attachment_task_hold_request_id', ['task_hold_request_id'], unique=False)
        batch_op.create_foreign_key('fk_attachment_task_hold_request_id', 'task_hold_request',
                                    ['task_hold_request_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_attachment_one_owner'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attachment_one_owner'),
                                         sa.text(_one_set(*OWNERS, 'task_hold_request')))
    # The index is derived data: rewrite it from what is there, as `duban search rebuild` does (the reports'
    # notes are part of their documents now). It reads the head's schema, so it runs last.
    from app.services.infrastructure.search_index import rebuild
    rebuild(op.get_bind())


def downgrade():
    # The search index keeps the richer documents: they do no harm to the older code.
    op.execute('DELETE FROM attachment WHERE task_hold_request_id IS NOT NULL')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachment_one_owner'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attachment_one_owner'), sa.text(_one_set(*OWNERS)))
        batch_op.drop_constraint('fk_attachment_task_hold_request_id', type_='foreignkey')
        batch_op.drop_index('ix_attachment_task_hold_request_id')
        batch_op.drop_column('task_hold_request_id')
