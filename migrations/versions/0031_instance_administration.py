"""instance administration: suspension, ending with a reason, and the incident of a failed engine step

Revision ID: 0031
Revises: 0019
Create Date: 2026-12-02 14:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workflow_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('ended_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('incident_step', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('incident_message', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('incident_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_workflow_instance_incident_at', ['incident_at'], unique=False)


def downgrade():
    with op.batch_alter_table('workflow_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_workflow_instance_incident_at')
        batch_op.drop_column('incident_at')
        batch_op.drop_column('incident_message')
        batch_op.drop_column('incident_step')
        batch_op.drop_column('ended_reason')
        batch_op.drop_column('suspended_at')
