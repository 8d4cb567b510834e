"""review_record index by subject, for lights and histories

Revision ID: 0017
Revises: 0012
Create Date: 2026-12-02 06:20:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review_record', schema=None) as batch_op:
        batch_op.create_index('ix_review_record_subject', ['subject', 'subject_id'], unique=False)


def downgrade():
    with op.batch_alter_table('review_record', schema=None) as batch_op:
        batch_op.drop_index('ix_review_record_subject')
