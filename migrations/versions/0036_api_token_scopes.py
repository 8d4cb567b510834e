"""scopes (read / act / admin) of API tokens; existing tokens keep reading and acting

Revision ID: 0036
Revises: 0027
Create Date: 2026-12-02 15:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0036'
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_token') as batch:
        batch.add_column(sa.Column('scopes', sa.String(length=40), nullable=False, server_default='read act'))


def downgrade():
    with op.batch_alter_table('api_token') as batch:
        batch.drop_column('scopes')
