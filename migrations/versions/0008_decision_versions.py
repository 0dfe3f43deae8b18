"""poll decision versions: a published decision is corrected, never rewritten

Revision ID: 0008_decision_versions
Revises: 0007_sign_in_throttle
Create Date: 2026-12-02 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.db


# revision identifiers, used by Alembic.
revision = '0008_decision_versions'
down_revision = '0007_sign_in_throttle'
branch_labels = None
depends_on = None

# What a version says and when: fixed once written. `published_by_id` may still be nulled
# (ON DELETE SET NULL when the account is deleted).
_FIXED = "poll_id, version, text, reason, published_at"


def _create_fixed_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION poll_decision_versions_fixed() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'poll_decision_versions: a published version is never rewritten';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            f"CREATE TRIGGER poll_decision_versions_no_rewrite BEFORE UPDATE OF {_FIXED} "
            "ON poll_decision_versions FOR EACH ROW EXECUTE FUNCTION poll_decision_versions_fixed()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER poll_decision_versions_no_rewrite BEFORE UPDATE OF {_FIXED} "
            "ON poll_decision_versions BEGIN "
            "SELECT RAISE(ABORT, 'poll_decision_versions: a published version is never rewritten'); END"
        )


def _drop_fixed_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP TRIGGER IF EXISTS poll_decision_versions_no_rewrite ON poll_decision_versions"
        )
        op.execute("DROP FUNCTION IF EXISTS poll_decision_versions_fixed()")
    else:
        op.execute("DROP TRIGGER IF EXISTS poll_decision_versions_no_rewrite")


def upgrade():
    op.create_table('poll_decision_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('published_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_decision_versions_poll_id_polls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_poll_decision_versions_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_decision_versions')),
    sa.UniqueConstraint('poll_id', 'version', name=op.f('uq_poll_decision_versions_poll_id_version'))
    )
    # A decision published before versions were kept becomes its version 1.
    op.execute(
        "INSERT INTO poll_decision_versions (poll_id, version, text, published_at) "
        "SELECT id, 1, decision_text, decided_at FROM polls "
        "WHERE decision_text IS NOT NULL AND decided_at IS NOT NULL"
    )
    _create_fixed_triggers()


def downgrade():
    _drop_fixed_triggers()
    op.drop_table('poll_decision_versions')
