"""follow-up surveys (好差评)

Revision ID: 0003_surveys
Revises: 0002_telegram
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = "0003_surveys"
down_revision = "0002_telegram"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("rating", sa.String(length=20), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rectification_case_id", sa.Integer(), nullable=True),
        sa.Column("appeal_status", sa.String(length=12), nullable=True),
        sa.Column("appeal_type", sa.String(length=12), nullable=True),
        sa.Column("appeal_reason", sa.Text(), nullable=True),
        sa.Column("appeal_by", sa.String(length=80), nullable=True),
        sa.Column("appeal_decided_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.Column("due_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.Column("sent_at", bot.storage.models.UTCDateTime(), nullable=True),
        sa.Column("reminded_at", bot.storage.models.UTCDateTime(), nullable=True),
        sa.Column("answered_at", bot.storage.models.UTCDateTime(), nullable=True),
        sa.Column("expires_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_surveys_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_surveys_citizen_id_citizens"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["rectification_case_id"], ["cases.id"], name=op.f("fk_surveys_rectification_case_id_cases"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
        sa.UniqueConstraint("case_id", "kind", name=op.f("uq_surveys_case_id_kind")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index("ix_surveys_status_expires", ["status", "expires_at"], unique=False)
        batch_op.create_index("ix_surveys_citizen_status", ["citizen_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index("ix_surveys_citizen_status")
        batch_op.drop_index("ix_surveys_status_expires")
    op.drop_table("surveys")
