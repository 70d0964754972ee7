"""Supervision: call-backs (回访) recorded by staff, monthly report files

Revision ID: 0008_supervision
Revises: 0007_audit_redaction
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = "0008_supervision"
down_revision = "0007_audit_redaction"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_name", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_callbacks_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_callbacks_staff_id_staff"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callbacks_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_callbacks_created_at"), ["created_at"], unique=False)
    op.create_table(
        "report_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=128), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_files")),
        sa.UniqueConstraint("period", name=op.f("uq_report_files_period")),
    )


def downgrade() -> None:
    op.drop_table("report_files")
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callbacks_created_at"))
        batch_op.drop_index(batch_op.f("ix_callbacks_case_id"))
    op.drop_table("callbacks")
