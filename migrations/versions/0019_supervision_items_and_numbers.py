"""registered 督办事项 (plan.kind, plan_task.final_deadline) and one 督办编号 sequence per organisation and year

Revision ID: 0019
Revises: 0024
Create Date: 2026-12-02 10:45:00

"""
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0024'
branch_labels = None
depends_on = None

PLAN_KINDS = ('plan', 'leader_instruction', 'meeting_decision', 'assigned_by_superior', 'npc_suggestion',
              'cppcc_proposal', 'other')
NUMBER = re.compile(r"督〔(\d{4})〕(\d+)号")


def upgrade():
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum(*PLAN_KINDS, name='plankind', native_enum=False,
                                                      create_constraint=True, length=32),
                                      server_default='plan', nullable=False))
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('final_deadline', sa.Date(), nullable=True))
    op.create_table('supervision_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('plan_task_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                            name=op.f('fk_supervision_number_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['plan_task_id'], ['plan_task.id'],
                            name=op.f('fk_supervision_number_plan_task_id_plan_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_number')),
    sa.UniqueConstraint('organisation_id', 'year', 'serial',
                        name=op.f('uq_supervision_number_organisation_id_year_serial')),
    sa.UniqueConstraint('plan_task_id', name=op.f('uq_supervision_number_plan_task_id'))
    )
    _register_existing_numbers()


def _register_existing_numbers():
    """Keep every number that is unique already; a number a later plan repeated continues the sequence."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT t.id, t.supervision_number, p.organisation_id, p.year FROM plan_task t JOIN plan p ON p.id = t.plan_id "
        "WHERE t.supervision_number IS NOT NULL ORDER BY p.id, t.number, t.id")).all()
    taken: dict[tuple[int, int], set[int]] = {}
    repeated = []
    for task_id, number, organisation_id, plan_year in rows:
        match = NUMBER.fullmatch(number)
        year, serial = (int(match.group(1)), int(match.group(2))) if match else (plan_year, None)
        serials = taken.setdefault((organisation_id, year), set())
        if serial is None or serial in serials:
            repeated.append((task_id, organisation_id, year))
            continue
        serials.add(serial)
        _insert(bind, task_id, organisation_id, year, serial)
    for task_id, organisation_id, year in repeated:
        serials = taken[(organisation_id, year)]
        serial = max(serials, default=0) + 1
        serials.add(serial)
        _insert(bind, task_id, organisation_id, year, serial)
        bind.execute(sa.text("UPDATE plan_task SET supervision_number = :number WHERE id = :id"),
                     {"number": f"督〔{year}〕{serial}号", "id": task_id})


def _insert(bind, task_id, organisation_id, year, serial):
    bind.execute(sa.text("INSERT INTO supervision_number (organisation_id, year, serial, plan_task_id) "
                         "VALUES (:organisation_id, :year, :serial, :task_id)"),
                 {"organisation_id": organisation_id, "year": year, "serial": serial, "task_id": task_id})


def downgrade():
    op.drop_table('supervision_number')
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.drop_column('final_deadline')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_plan_plankind'), type_='check')
        batch_op.drop_column('kind')
