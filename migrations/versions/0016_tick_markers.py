"""tick markers: next notice, stagnation check, stagnant items, digest waiting, progress reports opened

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-02 06:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None

OPEN = sa.text("state = 'open'")
UNIT_PENDING = sa.text("unit_told_on IS NULL")
SUPERVISION_PENDING = sa.text("supervision_told_on IS NULL")
DIGEST_WAITING = sa.text("digest_day IS NOT NULL AND digested_at IS NULL")


def upgrade():
    op.create_table('stagnant_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('work_item_id', sa.Integer(), nullable=False),
    sa.Column('quiet_since', sa.Date(), nullable=False),
    sa.Column('stagnant_on', sa.Date(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('unit_told_on', sa.Date(), nullable=True),
    sa.Column('supervision_told_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_stagnant_item_unit_id_unit')),
    sa.ForeignKeyConstraint(['work_item_id'], ['work_item.id'], name=op.f('fk_stagnant_item_work_item_id_work_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stagnant_item')),
    sa.UniqueConstraint('work_item_id', 'quiet_since', name=op.f('uq_stagnant_item_work_item_id_quiet_since'))
    )
    with op.batch_alter_table('stagnant_item', schema=None) as batch_op:
        batch_op.create_index('ix_stagnant_item_unit_pending', ['unit_id'], unique=False,
                              sqlite_where=UNIT_PENDING, postgresql_where=UNIT_PENDING)
        batch_op.create_index('ix_stagnant_item_supervision_pending', ['id'], unique=False,
                              sqlite_where=SUPERVISION_PENDING, postgresql_where=SUPERVISION_PENDING)

    with op.batch_alter_table('work_item', schema=None) as batch_op:
        # NULL: the next tick looks at the item once and sets it (existing items included).
        batch_op.add_column(sa.Column('stagnation_check_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chase_next_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_work_item_stagnation_check', ['state', 'stagnation_check_at'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_notification_digest_waiting', ['digest_day'], unique=False,
                              sqlite_where=DIGEST_WAITING, postgresql_where=DIGEST_WAITING)
    # Notices whose digest went out before this migration do not wait any more.
    op.execute(
        "UPDATE notification SET digested_at = created_at WHERE digest_day IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM notification AS d WHERE d.user_id = notification.user_id "
        "AND d.key = 'digest:' || CAST(notification.user_id AS VARCHAR) || ':' "
        "|| CAST(notification.digest_day AS VARCHAR))"
    )

    with op.batch_alter_table('deadline_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reports_opened_until', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('deadline_policy', schema=None) as batch_op:
        batch_op.drop_column('reports_opened_until')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_digest_waiting', sqlite_where=DIGEST_WAITING,
                            postgresql_where=DIGEST_WAITING)
        batch_op.drop_column('digested_at')

    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index('ix_work_item_stagnation_check', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_column('chase_next_at')
        batch_op.drop_column('stagnation_check_at')

    with op.batch_alter_table('stagnant_item', schema=None) as batch_op:
        batch_op.drop_index('ix_stagnant_item_supervision_pending', sqlite_where=SUPERVISION_PENDING,
                            postgresql_where=SUPERVISION_PENDING)
        batch_op.drop_index('ix_stagnant_item_unit_pending', sqlite_where=UNIT_PENDING,
                            postgresql_where=UNIT_PENDING)

    op.drop_table('stagnant_item')
