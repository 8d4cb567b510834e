"""milestone approval and delivery days (the dashboards' roll-up of the review history); export jobs

Revision ID: 0021
Revises: 0025
Create Date: 2026-12-02 11:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0025'
branch_labels = None
depends_on = None


def _first_approval(column: str, day: str) -> str:
    return (f"(SELECT min({day.format(column)}) FROM milestone_report r JOIN review_record v "
            "ON v.milestone_report_id = r.id "
            "WHERE r.milestone_id = milestone.id AND v.step = 'report_review' AND v.decision = 'approve')")


def upgrade():
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('delivered_on', sa.Date(), nullable=True))
    # The Beijing day of a UTC timestamp, as app.services.dashboards.facts.beijing_date writes it.
    day = ("CAST(({} AT TIME ZONE 'Asia/Shanghai') AS DATE)" if op.get_bind().dialect.name == 'postgresql'
           else "date({}, '+8 hours')")
    op.execute(f"UPDATE milestone SET approved_on = {_first_approval('v.decided_at', day)}, "
               f"delivered_on = {_first_approval('r.submitted_at', day)}")
    op.create_table('export_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'ready', 'failed', name='exportstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('mimetype', sa.String(length=120), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_export_job_plan_id_plan'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_export_job_requested_by_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_export_job'))
    )
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_job_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_job_requested_by_id'), ['requested_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('export_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_job_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_export_job_plan_id'))

    op.drop_table('export_job')
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_column('delivered_on')
        batch_op.drop_column('approved_on')
