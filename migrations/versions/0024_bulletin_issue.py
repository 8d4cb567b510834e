"""bulletin_issue: the 期号 given to each 督查通报, numbered per organisation and year

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 11:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'bulletin_issue',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organisation_id', 'year', 'number'),
        sa.UniqueConstraint('plan_id', 'as_of'),
    )
    with op.batch_alter_table('bulletin_issue', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bulletin_issue_plan_id'), ['plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('bulletin_issue', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bulletin_issue_plan_id'))
    op.drop_table('bulletin_issue')
