"""search index: search_entry with SQLite FTS5 (trigram + grams) or PostgreSQL pg_trgm, backfilled

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 11:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

#: SQLite: two external-content FTS5 tables over search_entry, kept in step by triggers.
SQLITE_UP = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(document, content='search_entry', content_rowid='id', "
    "tokenize='trigram')",
    "CREATE VIRTUAL TABLE search_grams_fts USING fts5(grams, content='search_entry', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    """CREATE TRIGGER search_fts_insert AFTER INSERT ON search_entry BEGIN
         INSERT INTO search_fts(rowid, document) VALUES (new.id, new.document);
         INSERT INTO search_grams_fts(rowid, grams) VALUES (new.id, new.grams);
       END""",
    """CREATE TRIGGER search_fts_delete AFTER DELETE ON search_entry BEGIN
         INSERT INTO search_fts(search_fts, rowid, document) VALUES ('delete', old.id, old.document);
         INSERT INTO search_grams_fts(search_grams_fts, rowid, grams) VALUES ('delete', old.id, old.grams);
       END""",
    """CREATE TRIGGER search_fts_update AFTER UPDATE ON search_entry BEGIN
         INSERT INTO search_fts(search_fts, rowid, document) VALUES ('delete', old.id, old.document);
         INSERT INTO search_grams_fts(search_grams_fts, rowid, grams) VALUES ('delete', old.id, old.grams);
         INSERT INTO search_fts(rowid, document) VALUES (new.id, new.document);
         INSERT INTO search_grams_fts(rowid, grams) VALUES (new.id, new.grams);
       END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_fts_insert", "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_update", "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_grams_fts",
]
#: PostgreSQL: trigram GIN index on the document, GIN index on the array of grams.
POSTGRESQL_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX search_trgm_document ON search_entry USING gin (document gin_trgm_ops)",
    "CREATE INDEX search_grams_gin ON search_entry USING gin (string_to_array(grams, ' '))",
]
POSTGRESQL_DOWN = ["DROP INDEX IF EXISTS search_trgm_document", "DROP INDEX IF EXISTS search_grams_gin"]


def upgrade():
    op.create_table(
        'search_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('plan_task_id', sa.Integer(), nullable=False),
        sa.Column('task_number', sa.Integer(), nullable=False),
        sa.Column('plan_year', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=500), nullable=False),
        sa.Column('document', sa.Text(), nullable=False),
        sa.Column('grams', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['plan_task_id'], ['plan_task.id'],
                                name=op.f('fk_search_entry_plan_task_id_plan_task'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entry')),
        sa.UniqueConstraint('kind', 'source_id', name=op.f('uq_search_entry_kind_source_id')),
    )
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        batch_op.create_index('ix_search_entry_number', ['task_number', 'plan_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_search_entry_plan_task_id'), ['plan_task_id'], unique=False)
    bind = op.get_bind()
    for statement in SQLITE_UP if bind.dialect.name == 'sqlite' else POSTGRESQL_UP:
        op.execute(statement)
    # The index is derived data, written from what is there by 0038 (it reads the schema of the head, which
    # this revision does not have yet), as `duban search rebuild` does.


def downgrade():
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == 'sqlite' else POSTGRESQL_DOWN:
        op.execute(statement)
    with op.batch_alter_table('search_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_entry_plan_task_id'))
        batch_op.drop_index('ix_search_entry_number')
    op.drop_table('search_entry')
