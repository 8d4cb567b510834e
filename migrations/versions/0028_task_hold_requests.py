"""中止 and 阶段性办结 requests (task_hold_request), the task's hold, their notice topics; task changes
awaiting a leader's approval (task_change_request, plan.changes_need_approval)

Revision ID: 0028
Revises: 0019
Create Date: 2026-12-02 15:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0031'
branch_labels = None
depends_on = None

OLD_TOPICS = ('decomposition_returned', 'decomposition_approved', 'report_returned', 'report_approved',
              'signoff_requested', 'signoff_returned', 'contribution_requested', 'task_closed', 'extension_requested',
              'extension_decided', 'instruction_issued', 'instruction_acknowledged', 'rectification_opened',
              'rectification_decided', 'urged', 'appeal_filed', 'appeal_decided')
NEW_TOPICS = (*OLD_TOPICS, 'hold_requested', 'hold_decided')
HOLD_KINDS = ('suspend', 'stage_close')


def _topics(values):
    return sa.Enum(*values, name='noticetopic', native_enum=False, create_constraint=True, length=40)


def _hold_kind():
    return sa.Enum(*HOLD_KINDS, name='holdkind', native_enum=False, create_constraint=True, length=32)


def _set_topics(old, new):
    """Widen (or narrow) the CHECK on notice_mail_choice.topic: SQLite rebuilds the table from the new type."""
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('notice_mail_choice', schema=None, recreate='always') as batch_op:
            batch_op.alter_column('topic', existing_type=_topics(old), type_=_topics(new), existing_nullable=False)
    else:
        op.drop_constraint('noticetopic', 'notice_mail_choice', type_='check')
        op.create_check_constraint('noticetopic', 'notice_mail_choice', sa.column('topic').in_(new))


def upgrade():
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hold_kind', _hold_kind(), nullable=True))
    op.create_table(
        'task_hold_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_task_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('kind', _hold_kind(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Enum('pending', 'approved', 'refused', name='extensionstatus', native_enum=False,
                                    create_constraint=True, length=32), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'],
                                name=op.f('fk_task_hold_request_decided_by_id_user_account')),
        sa.ForeignKeyConstraint(['plan_task_id'], ['plan_task.id'],
                                name=op.f('fk_task_hold_request_plan_task_id_plan_task'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'],
                                name=op.f('fk_task_hold_request_requested_by_id_user_account')),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_task_hold_request_unit_id_unit')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_task_hold_request')),
    )
    with op.batch_alter_table('task_hold_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_hold_request_plan_task_id'), ['plan_task_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_hold_request_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_hold_request_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('uq_task_hold_request_pending', ['plan_task_id'], unique=True,
                              sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
    _set_topics(OLD_TOPICS, NEW_TOPICS)
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes_need_approval', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.create_table(
        'task_change_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('plan_task_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('summary', sa.String(length=300), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'],
                                name=op.f('fk_task_change_request_decided_by_id_user_account')),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_task_change_request_plan_id_plan'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['plan_task_id'], ['plan_task.id'],
                                name=op.f('fk_task_change_request_plan_task_id_plan_task'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'],
                                name=op.f('fk_task_change_request_requested_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_task_change_request')),
    )
    with op.batch_alter_table('task_change_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_change_request_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_change_request_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('task_change_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_change_request_status'))
        batch_op.drop_index(batch_op.f('ix_task_change_request_plan_id'))
    op.drop_table('task_change_request')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_column('changes_need_approval')
    op.execute("DELETE FROM notice_mail_choice WHERE topic IN ('hold_requested', 'hold_decided')")
    _set_topics(NEW_TOPICS, OLD_TOPICS)
    with op.batch_alter_table('task_hold_request', schema=None) as batch_op:
        batch_op.drop_index('uq_task_hold_request_pending', sqlite_where=sa.text("status = 'pending'"),
                            postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_task_hold_request_unit_id'))
        batch_op.drop_index(batch_op.f('ix_task_hold_request_status'))
        batch_op.drop_index(batch_op.f('ix_task_hold_request_plan_task_id'))
    op.drop_table('task_hold_request')
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_plan_task_holdkind'), type_='check')
        batch_op.drop_column('hold_kind')
        batch_op.drop_column('held_at')
