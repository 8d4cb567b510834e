"""分管 leaders (leader_unit) and each person's choice of notices by mail (notice_mail_choice)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 11:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

TOPICS = ('decomposition_returned', 'decomposition_approved', 'report_returned', 'report_approved',
          'signoff_requested', 'signoff_returned', 'contribution_requested', 'task_closed', 'extension_requested',
          'extension_decided', 'instruction_issued', 'instruction_acknowledged', 'rectification_opened',
          'rectification_decided', 'urged')


def upgrade():
    op.create_table(
        'leader_unit',
        sa.Column('leader_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['leader_id'], ['user_account.id'], name=op.f('fk_leader_unit_leader_id_user_account'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_leader_unit_unit_id_unit'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('leader_id', 'unit_id', name=op.f('pk_leader_unit')),
    )
    op.create_index(op.f('ix_leader_unit_unit_id'), 'leader_unit', ['unit_id'], unique=False)
    op.create_table(
        'notice_mail_choice',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.Enum(*TOPICS, name='noticetopic', native_enum=False, create_constraint=True,
                                   length=40), nullable=False),
        sa.Column('by_mail', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_notice_mail_choice_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'topic', name=op.f('pk_notice_mail_choice')),
    )


def downgrade():
    op.drop_table('notice_mail_choice')
    op.drop_index(op.f('ix_leader_unit_unit_id'), table_name='leader_unit')
    op.drop_table('leader_unit')
