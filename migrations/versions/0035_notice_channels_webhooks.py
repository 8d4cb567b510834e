"""notice channels (SMS, group robots), their outbox, outbound webhooks, the user's phone

Revision ID: 0035
Revises: 0027
Create Date: 2026-12-02 15:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0035'
down_revision = "0028"
branch_labels = None
depends_on = None

FAN_OUT_WAITING = sa.text("fanned_out_at IS NULL")


def _enum(name, *values, length=32):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=length)


def _status():
    return _enum('mailstatus', 'pending', 'sent', 'failed')


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('fanned_out_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_notification_fan_out_waiting', ['id'], unique=False,
                              sqlite_where=FAN_OUT_WAITING, postgresql_where=FAN_OUT_WAITING)
    # Notices from before the channels existed are not sent again by SMS or robot.
    op.execute("UPDATE notification SET fanned_out_at = created_at")
    op.create_table(
        'unit_robot',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum('robotkind', 'wecom', 'dingtalk', length=20), nullable=False),
        sa.Column('webhook_url', sa.String(length=500), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=True),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_robot_unit_id_unit'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('unit_id', name=op.f('pk_unit_robot')),
    )
    op.create_table(
        'notice_channel_choice',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('channel', _enum('channelname', 'mail', 'sms', 'robot', length=10), nullable=False),
        sa.Column('chosen', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'],
                                name=op.f('fk_notice_channel_choice_user_id_user_account'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'category', 'channel', name=op.f('pk_notice_channel_choice')),
    )
    op.create_table(
        'channel_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=False),
        sa.Column('notice_key', sa.String(length=200), nullable=False),
        sa.Column('channel', _enum('channelname', 'mail', 'sms', 'robot', length=10), nullable=False),
        sa.Column('recipient', sa.String(length=40), nullable=False),
        sa.Column('address', sa.String(length=500), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.Column('status', _status(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['notification_id'], ['notification.id'],
                                name=op.f('fk_channel_delivery_notification_id_notification'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_delivery')),
        sa.UniqueConstraint('notice_key', 'channel', 'recipient',
                            name=op.f('uq_channel_delivery_notice_key_channel_recipient')),
    )
    with op.batch_alter_table('channel_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_delivery_notification_id'), ['notification_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_delivery_next_attempt_at'), ['next_attempt_at'], unique=False)
    op.create_table(
        'webhook_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=False),
        sa.Column('kinds', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscription')),
    )
    op.create_table(
        'webhook_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('kind', _enum('webhookeventkind', 'item.created', 'step.completed', 'step.returned',
                                'item.overdue', 'item.escalated', 'task.closed', length=30), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_event')),
        sa.UniqueConstraint('key', name=op.f('uq_webhook_event_key')),
    )
    with op.batch_alter_table('webhook_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_event_created_at'), ['created_at'], unique=False)
    op.create_table(
        'webhook_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('status', _status(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['webhook_event.id'],
                                name=op.f('fk_webhook_delivery_event_id_webhook_event'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'],
                                name=op.f('fk_webhook_delivery_subscription_id_webhook_subscription'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery')),
        sa.UniqueConstraint('subscription_id', 'event_id', name=op.f('uq_webhook_delivery_subscription_id_event_id')),
    )
    with op.batch_alter_table('webhook_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_delivery_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index('ix_webhook_delivery_created_at', ['created_at'], unique=False)
    op.create_table(
        'scan_cursor',
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_scan_cursor')),
    )


def downgrade():
    op.drop_table('scan_cursor')
    op.drop_table('webhook_delivery')
    op.drop_table('webhook_event')
    op.drop_table('webhook_subscription')
    op.drop_table('channel_delivery')
    op.drop_table('notice_channel_choice')
    op.drop_table('unit_robot')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_fan_out_waiting', sqlite_where=FAN_OUT_WAITING,
                            postgresql_where=FAN_OUT_WAITING)
        batch_op.drop_column('fanned_out_at')
        batch_op.drop_column('topic')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('phone')
