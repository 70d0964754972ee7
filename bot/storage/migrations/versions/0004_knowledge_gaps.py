"""questions the bot could not answer confidently (knowledge gaps)

Revision ID: 0004_knowledge_gaps
Revises: 0003_surveys
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = "0004_knowledge_gaps"
down_revision = "0003_surveys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("guess", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("procedure_id", sa.String(length=80), nullable=True),
        sa.Column("resolved_by", sa.String(length=80), nullable=True),
        sa.Column("first_seen", bot.storage.models.UTCDateTime(), nullable=False),
        sa.Column("last_seen", bot.storage.models.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", bot.storage.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_gaps")),
        sa.UniqueConstraint("key", name=op.f("uq_knowledge_gaps_key")),
    )
    op.create_index("ix_knowledge_gaps_status_last_seen", "knowledge_gaps", ["status", "last_seen"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_knowledge_gaps_status_last_seen", table_name="knowledge_gaps")
    op.drop_table("knowledge_gaps")
