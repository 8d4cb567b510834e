"""user_account: the 统一身份认证 provider and subject a user signs in as

Revision ID: 0034
Revises: 0026
Create Date: 2026-12-02 15:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0034'
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sso_provider', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('sso_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_user_account_sso_subject', ['sso_provider', 'sso_subject'])


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint('uq_user_account_sso_subject', type_='unique')
        batch_op.drop_column('sso_subject')
        batch_op.drop_column('sso_provider')
