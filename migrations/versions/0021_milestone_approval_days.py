"""milestone approval and delivery days, the dashboards' roll-up of the review history

Revision ID: 0021
Revises: 0017
Create Date: 2026-12-02 11:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0017'
branch_labels = None
depends_on = None


def _first_approval(column: str, day: str) -> str:
    return (f"(SELECT min({day.format(column)}) FROM milestone_report r JOIN review_record v "
            "ON v.subject = 'milestone_report' AND v.subject_id = r.id "
            "WHERE r.milestone_id = milestone.id AND v.step = 'report_review' AND v.decision = 'approve')")


def upgrade():
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('delivered_on', sa.Date(), nullable=True))
    # The Beijing day of a UTC timestamp, as app.services.dashboard.facts.beijing_date writes it.
    day = ("CAST(({} AT TIME ZONE 'Asia/Shanghai') AS DATE)" if op.get_bind().dialect.name == 'postgresql'
           else "date({}, '+8 hours')")
    op.execute(f"UPDATE milestone SET approved_on = {_first_approval('v.decided_at', day)}, "
               f"delivered_on = {_first_approval('r.submitted_at', day)}")


def downgrade():
    with op.batch_alter_table('milestone', schema=None) as batch_op:
        batch_op.drop_column('delivered_on')
        batch_op.drop_column('approved_on')
