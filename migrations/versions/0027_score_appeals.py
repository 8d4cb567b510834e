"""appeals (申诉) against score lines, their evidence as attachments, and their notice topics

Revision ID: 0027
Revises: 0019
Create Date: 2026-12-02 14:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0027'
down_revision = "0026"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
OWNERS = ('milestone_report', 'cooperating_contribution', 'rectification_submission')
TOPICS = ('decomposition_returned', 'decomposition_approved', 'report_returned', 'report_approved',
          'signoff_requested', 'signoff_returned', 'contribution_requested', 'task_closed', 'extension_requested',
          'extension_decided', 'instruction_issued', 'instruction_acknowledged', 'rectification_opened',
          'rectification_decided', 'urged')
APPEAL_TOPICS = ('appeal_filed', 'appeal_decided')


def _one_set(*targets):
    return ' + '.join(f'CASE WHEN {t}_id IS NULL THEN 0 ELSE 1 END' for t in targets) + ' = 1'


def _topics(topics):
    return 'topic IN (' + ', '.join(f"'{t}'" for t in topics) + ')'


def upgrade():
    op.create_table(
        'appeal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_task_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=20), nullable=False),
        sa.Column('event_kind', sa.String(length=30), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('line_points', sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column('line_text', sa.Text(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('filed_by_id', sa.Integer(), nullable=False),
        sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Enum('open', 'accepted', 'rejected', name='appealstatus', native_enum=False,
                                    create_constraint=True, length=32), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.Column('adjusted_points', sa.Numeric(precision=8, scale=2), nullable=True),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'],
                                name=op.f('fk_appeal_decided_by_id_user_account')),
        sa.ForeignKeyConstraint(['filed_by_id'], ['user_account.id'], name=op.f('fk_appeal_filed_by_id_user_account')),
        sa.ForeignKeyConstraint(['plan_task_id'], ['plan_task.id'], name=op.f('fk_appeal_plan_task_id_plan_task'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_appeal_unit_id_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal')),
    )
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_plan_task_id'), ['plan_task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_status'), ['status'], unique=False)
        batch_op.create_index('uq_appeal_open_line', ['plan_task_id', 'unit_id', 'category', 'event_kind', 'event_id'],
                              unique=True, sqlite_where=OPEN, postgresql_where=OPEN)
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appeal_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_attachment_appeal_id', ['appeal_id'], unique=False)
        batch_op.create_foreign_key('fk_attachment_appeal_id', 'appeal', ['appeal_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_attachment_one_owner'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attachment_one_owner'), sa.text(_one_set(*OWNERS, 'appeal')))
    with op.batch_alter_table('notice_mail_choice', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notice_mail_choice_noticetopic'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notice_mail_choice_noticetopic'),
                                         sa.text(_topics(TOPICS + APPEAL_TOPICS)))


def downgrade():
    op.execute("DELETE FROM notice_mail_choice WHERE topic IN ('appeal_filed', 'appeal_decided')")
    op.execute('DELETE FROM attachment WHERE appeal_id IS NOT NULL')
    with op.batch_alter_table('notice_mail_choice', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notice_mail_choice_noticetopic'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notice_mail_choice_noticetopic'), sa.text(_topics(TOPICS)))
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attachment_one_owner'), type_='check')
        batch_op.create_check_constraint(op.f('ck_attachment_one_owner'), sa.text(_one_set(*OWNERS)))
        batch_op.drop_constraint('fk_attachment_appeal_id', type_='foreignkey')
        batch_op.drop_index('ix_attachment_appeal_id')
        batch_op.drop_column('appeal_id')
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index('uq_appeal_open_line', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index(batch_op.f('ix_appeal_status'))
        batch_op.drop_index(batch_op.f('ix_appeal_unit_id'))
        batch_op.drop_index(batch_op.f('ix_appeal_plan_task_id'))
    op.drop_table('appeal')
