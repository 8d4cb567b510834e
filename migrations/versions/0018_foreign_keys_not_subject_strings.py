"""foreign keys instead of subject strings; decomposition.closed_at; review_record.step checked

Workflow instances name the business row they drive by kind and foreign key (was "decomposition:12");
review records and attachments point at what they judge or belong to by one foreign key per kind (was
subject/subject_id). Existing rows are converted both ways; closed_at is backfilled from completed instances.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 10:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

INSTANCE_KINDS = ('decomposition', 'milestone', 'rectification', 'progress_report')
REVIEWED = ('decomposition_round', 'milestone_report', 'rectification_submission')
ATTACHED_TO = ('milestone_report', 'cooperating_contribution', 'rectification_submission')
#: The StepKey values review_record.step may hold.
STEP_KEYS = ('decomposition', 'decomposition_review', 'milestone_report', 'cooperating_contribution', 'head_signoff',
             'report_review', 'task_closure', 'progress_report', 'rectification_plan', 'rectification_plan_review',
             'rectification_result', 'rectification_verify')


def _fk(table, target):
    """The naming convention's name, or without the referred table where that passes PostgreSQL's 63 characters."""
    name = f'fk_{table}_{target}_id_{target}'
    return op.f(name if len(name) <= 63 else f'fk_{table}_{target}_id')


def _one_set(*targets):
    """SQL: exactly one of the ``<target>_id`` columns is set."""
    return ' + '.join(f'CASE WHEN {t}_id IS NULL THEN 0 ELSE 1 END' for t in targets) + ' = 1'


def _links_match_kind():
    links = ' + '.join(f'CASE WHEN {k}_id IS NULL THEN 0 ELSE 1 END' for k in INSTANCE_KINDS)
    matching = 'CASE kind ' + ' '.join(f"WHEN '{k}' THEN {k}_id" for k in INSTANCE_KINDS) + ' END'
    return f'(kind IS NULL AND {links} = 0) OR (kind IS NOT NULL AND {links} = 1 AND {matching} IS NOT NULL)'


def upgrade():
    with op.batch_alter_table('workflow_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum(*INSTANCE_KINDS, name='instancekind', native_enum=False, create_constraint=True, length=32), nullable=True))
        for kind in INSTANCE_KINDS:
            batch_op.add_column(sa.Column(f'{kind}_id', sa.Integer(), nullable=True))
    for table, targets in (('review_record', REVIEWED), ('attachment', ATTACHED_TO)):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for target in targets:
                batch_op.add_column(sa.Column(f'{target}_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('decomposition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))

    _subjects_to_keys()

    with op.batch_alter_table('workflow_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_workflow_instance_subject')
        batch_op.drop_column('subject')
        for kind in INSTANCE_KINDS:
            batch_op.create_index(f'ix_workflow_instance_{kind}_id', [f'{kind}_id'], unique=False)
            batch_op.create_foreign_key(_fk('workflow_instance', kind), kind, [f'{kind}_id'], ['id'],
                                        use_alter=kind == 'progress_report')
        batch_op.create_check_constraint(op.f('ck_workflow_instance_links_match_kind'), sa.text(_links_match_kind()))
    with op.batch_alter_table('review_record', schema=None) as batch_op:
        batch_op.drop_index('ix_review_record_subject')
        batch_op.create_check_constraint(op.f('ck_review_record_stepkey'),
                                         sa.text('step IN (' + ', '.join(f"'{k}'" for k in STEP_KEYS) + ')'))
    for table, targets, check in (('review_record', REVIEWED, 'one_reviewed_row'), ('attachment', ATTACHED_TO, 'one_owner')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('subject')
            batch_op.drop_column('subject_id')
            for target in targets:
                batch_op.create_index(f'ix_{table}_{target}_id', [f'{target}_id'], unique=False)
                batch_op.create_foreign_key(_fk(table, target), target, [f'{target}_id'], ['id'],
                                            use_alter=(table, target) == ('review_record', 'rectification_submission'))
            batch_op.create_check_constraint(op.f(f'ck_{table}_{check}'), sa.text(_one_set(*targets)))


def _subjects_to_keys():
    """"milestone:12" → kind 'milestone', milestone_id 12; ('milestone_report', 5) → milestone_report_id 5."""
    for kind in INSTANCE_KINDS:
        prefix = f'{kind}:'
        op.execute(f"UPDATE workflow_instance SET kind = '{kind}', "
                   f"{kind}_id = CAST(substr(subject, {len(prefix) + 1}) AS INTEGER) "
                   f"WHERE substr(subject, 1, {len(prefix)}) = '{prefix}'")
    for table, targets in (('review_record', REVIEWED), ('attachment', ATTACHED_TO)):
        for target in targets:
            op.execute(f"UPDATE {table} SET {target}_id = subject_id WHERE subject = '{target}'")
    op.execute("UPDATE decomposition SET closed_at = (SELECT max(i.updated_at) FROM workflow_instance i "
               "WHERE i.decomposition_id = decomposition.id AND i.status = 'completed')")


def downgrade():
    with op.batch_alter_table('workflow_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.VARCHAR(length=100), nullable=True))
    for table in ('review_record', 'attachment'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('subject', sa.VARCHAR(length=30), nullable=True))
            batch_op.add_column(sa.Column('subject_id', sa.INTEGER(), nullable=True))

    _keys_to_subjects()

    with op.batch_alter_table('workflow_instance', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_workflow_instance_links_match_kind'), type_='check')
        batch_op.drop_constraint(op.f('ck_workflow_instance_instancekind'), type_='check')
        for kind in INSTANCE_KINDS:
            batch_op.drop_constraint(_fk('workflow_instance', kind), type_='foreignkey')
            batch_op.drop_index(f'ix_workflow_instance_{kind}_id')
            batch_op.drop_column(f'{kind}_id')
        batch_op.drop_column('kind')
        batch_op.create_index('ix_workflow_instance_subject', ['subject'], unique=False)
    for table, targets, check in (('review_record', REVIEWED, 'one_reviewed_row'), ('attachment', ATTACHED_TO, 'one_owner')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_{check}'), type_='check')
            for target in targets:
                batch_op.drop_constraint(_fk(table, target), type_='foreignkey')
                batch_op.drop_index(f'ix_{table}_{target}_id')
                batch_op.drop_column(f'{target}_id')
            batch_op.alter_column('subject', existing_type=sa.VARCHAR(length=30), nullable=False)
            batch_op.alter_column('subject_id', existing_type=sa.INTEGER(), nullable=False)
    with op.batch_alter_table('review_record', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_review_record_stepkey'), type_='check')
        batch_op.create_index('ix_review_record_subject', ['subject', 'subject_id'], unique=False)
    with op.batch_alter_table('decomposition', schema=None) as batch_op:
        batch_op.drop_column('closed_at')


def _keys_to_subjects():
    for kind in INSTANCE_KINDS:
        op.execute(f"UPDATE workflow_instance SET subject = '{kind}:' || CAST({kind}_id AS VARCHAR(20)) "
                   f"WHERE kind = '{kind}'")
    for table, targets in (('review_record', REVIEWED), ('attachment', ATTACHED_TO)):
        for target in targets:
            op.execute(f"UPDATE {table} SET subject = '{target}', subject_id = {target}_id "
                       f"WHERE {target}_id IS NOT NULL")
