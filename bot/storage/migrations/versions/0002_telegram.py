"""telegram staff topics and relayed staff messages

Revision ID: 0002_telegram
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = "0002_telegram"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the staff-topic and relayed-message tables."""
    op.create_table(
        "telegram_staff_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_telegram_staff_topics_case_id_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_staff_topics")),
        sa.UniqueConstraint("case_id", name=op.f("uq_telegram_staff_topics_case_id")),
        sa.UniqueConstraint("chat_id", "thread_id", name=op.f("uq_telegram_staff_topics_chat_id_thread_id")),
    )
    op.create_table(
        "telegram_relayed_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("created_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_telegram_relayed_messages_case_id_cases"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_telegram_relayed_messages_staff_id_staff"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_relayed_messages")),
        sa.UniqueConstraint("chat_id", "message_id", name=op.f("uq_telegram_relayed_messages_chat_id_message_id")),
    )
    with op.batch_alter_table("telegram_relayed_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_telegram_relayed_messages_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("telegram_relayed_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_telegram_relayed_messages_case_id"))
    op.drop_table("telegram_relayed_messages")
    op.drop_table("telegram_staff_topics")
