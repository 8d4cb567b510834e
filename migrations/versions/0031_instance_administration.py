"""process administration: instance suspension, ending with a reason, the incident of a failed engine step;
process versions bound to a scope (a plan, an item source, a priority)

Revision ID: 0031
Revises: 0019
Create Date: 2026-12-02 14:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0031'
down_revision = "0027"
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
    op.create_table('process_binding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('scope_kind', sa.Enum('default', 'plan', 'source', 'priority', name='bindingscope', native_enum=False,
                                    create_constraint=True, length=32), nullable=False),
    sa.Column('scope_value', sa.String(length=50), nullable=False),
    sa.Column('spec_version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['spec_version_id'], ['process_spec_version.id'],
                            name=op.f('fk_process_binding_spec_version_id_process_spec_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_binding')),
    sa.UniqueConstraint('process_id', 'scope_kind', 'scope_value',
                        name=op.f('uq_process_binding_process_id_scope_kind_scope_value'))
    )


def downgrade():
    op.drop_table('process_binding')
    with op.batch_alter_table('workflow_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_workflow_instance_incident_at')
        batch_op.drop_column('incident_at')
        batch_op.drop_column('incident_message')
        batch_op.drop_column('incident_step')
        batch_op.drop_column('ended_reason')
        batch_op.drop_column('suspended_at')
