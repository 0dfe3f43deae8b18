"""supports moved by a merge are marked: their owners may withdraw them until selection

Revision ID: 0009_merged_supports
Revises: 0008_decision_versions
Create Date: 2026-12-05 01:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_merged_supports'
down_revision = '0008_decision_versions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('moved_by_merge', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.drop_column('moved_by_merge')
