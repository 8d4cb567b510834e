"""search index rewritten with the reports' 存在问题 / 下步计划 / 需协调事项

Revision ID: 0038
Revises: 0028
Create Date: 2026-12-02 15:45:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    # The index is derived data: rewrite it from what is there, as `duban search rebuild` does (the reports'
    # notes are part of their documents now). It reads the head's schema, so it runs last.
    from app.services.infrastructure.search_index import rebuild
    rebuild(op.get_bind())


def downgrade():
    pass  # the richer documents do no harm to the older code; `duban search rebuild` rewrites them
