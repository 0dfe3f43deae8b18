"""the polls' RFC 9162 ledger: leaves, stored perfect subtrees, signed tree heads

Revision ID: 0011_ledger_tree
Revises: 0010_final_tallies
Create Date: 2026-12-05 02:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_ledger_tree'
down_revision = '0010_final_tallies'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('poll_ledger_leaves',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('leaf_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['poll_ballots.id'], name=op.f('fk_poll_ledger_leaves_ballot_id_poll_ballots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_ledger_leaves_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('poll_id', 'leaf_index', name=op.f('pk_poll_ledger_leaves')),
    sa.UniqueConstraint('ballot_id', name=op.f('uq_poll_ledger_leaves_ballot_id'))
    )
    op.create_table('poll_ledger_nodes',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('node_index', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_ledger_nodes_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('poll_id', 'level', 'node_index', name=op.f('pk_poll_ledger_nodes'))
    )
    op.create_table('poll_ledger_heads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('tree_size', sa.Integer(), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('participations', sa.Integer(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_ledger_heads_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_ledger_heads'))
    )
    with op.batch_alter_table('poll_ledger_heads', schema=None) as batch_op:
        batch_op.create_index('ix_poll_ledger_heads_poll_size', ['poll_id', 'tree_size'], unique=False)


def downgrade():
    with op.batch_alter_table('poll_ledger_heads', schema=None) as batch_op:
        batch_op.drop_index('ix_poll_ledger_heads_poll_size')
    op.drop_table('poll_ledger_heads')
    op.drop_table('poll_ledger_nodes')
    op.drop_table('poll_ledger_leaves')
