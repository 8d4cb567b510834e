"""上下联动: a user's organisation, plans and tasks dispatched to the cities, remembered 处室 → 科室 mappings

Revision ID: 0030
Revises: 0019
Create Date: 2026-12-02 14:45:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0030'
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_account_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_user_account_organisation_id_organisation'), 'organisation',
                                    ['organisation_id'], ['id'])
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dispatched_from_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_plan_dispatched_from_id'), ['dispatched_from_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_plan_dispatched_from_id_plan'), 'plan',
                                    ['dispatched_from_id'], ['id'])
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('for_cities', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('parent_task_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_plan_task_parent_task_id'), ['parent_task_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_plan_task_parent_task_id_plan_task'), 'plan_task',
                                    ['parent_task_id'], ['id'])
    op.create_table('unit_mapping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('upper_unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                            name=op.f('fk_unit_mapping_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['upper_unit_id'], ['unit.id'], name=op.f('fk_unit_mapping_upper_unit_id_unit'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_mapping_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_mapping')),
    sa.UniqueConstraint('organisation_id', 'upper_unit_id',
                        name=op.f('uq_unit_mapping_organisation_id_upper_unit_id'))
    )
    with op.batch_alter_table('unit_mapping', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_mapping_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('unit_mapping', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_mapping_organisation_id'))
    op.drop_table('unit_mapping')
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_plan_task_parent_task_id_plan_task'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_plan_task_parent_task_id'))
        batch_op.drop_column('parent_task_id')
        batch_op.drop_column('for_cities')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_plan_dispatched_from_id_plan'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_plan_dispatched_from_id'))
        batch_op.drop_column('dispatched_from_id')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_account_organisation_id_organisation'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_user_account_organisation_id'))
        batch_op.drop_column('organisation_id')
