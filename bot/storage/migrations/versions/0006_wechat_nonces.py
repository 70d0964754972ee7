"""WeChat callback nonces (replay protection)

Revision ID: 0006_wechat_nonces
Revises: 0005_desk
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = "0006_wechat_nonces"
down_revision = "0005_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_nonces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("expires_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_nonces")),
        sa.UniqueConstraint("timestamp", "nonce", name=op.f("uq_wechat_nonces_timestamp_nonce")),
    )
    with op.batch_alter_table("wechat_nonces", schema=None) as batch_op:
        batch_op.create_index("ix_wechat_nonces_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("wechat_nonces", schema=None) as batch_op:
        batch_op.drop_index("ix_wechat_nonces_expires_at")
    op.drop_table("wechat_nonces")
