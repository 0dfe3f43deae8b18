"""poll tallies are stored at closing only: drop the live ones and `is_final`

A live poll is now counted on demand and never stored, so no history of tallies builds up
while a poll is open (issue #17). The counts already stored for open polls are deleted.

Revision ID: 0010_final_tallies
Revises: 0009_merged_supports
Create Date: 2026-12-12 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_final_tallies'
down_revision = '0009_merged_supports'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text('DELETE FROM poll_tallies WHERE is_final = false'))
    with op.batch_alter_table('poll_tallies', schema=None) as batch_op:
        batch_op.drop_column('is_final')


def downgrade():
    with op.batch_alter_table('poll_tallies', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('is_final', sa.Boolean(), server_default=sa.true(), nullable=False)
        )
