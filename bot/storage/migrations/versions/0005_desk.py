"""web desk: passwords, sessions, login failures, read marks, reassignment flags

Revision ID: 0005_desk
Revises: 0004_knowledge_gaps
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = "0005_desk"
down_revision = "0004_knowledge_gaps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_passwords",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=255), nullable=False),
        sa.Column("set_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_desk_passwords_staff_id_staff"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_desk_passwords")),
    )
    op.create_table(
        "desk_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("created_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_desk_sessions_staff_id_staff"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_sessions")),
    )
    with op.batch_alter_table("desk_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_sessions_staff_id"), ["staff_id"], unique=False)
    op.create_table(
        "desk_login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("created_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_login_failures")),
    )
    with op.batch_alter_table("desk_login_failures", schema=None) as batch_op:
        batch_op.create_index("ix_desk_login_failures_name_at", ["name", "created_at"], unique=False)
        batch_op.create_index("ix_desk_login_failures_address_at", ["address", "created_at"], unique=False)
    op.create_table(
        "desk_case_reads",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("read_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_desk_case_reads_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_desk_case_reads_staff_id_staff"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("staff_id", "case_id", name=op.f("pk_desk_case_reads")),
    )
    op.create_table(
        "desk_case_flags",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("created_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_desk_case_flags_case_id_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_desk_case_flags")),
    )


def downgrade() -> None:
    op.drop_table("desk_case_flags")
    op.drop_table("desk_case_reads")
    with op.batch_alter_table("desk_login_failures", schema=None) as batch_op:
        batch_op.drop_index("ix_desk_login_failures_address_at")
        batch_op.drop_index("ix_desk_login_failures_name_at")
    op.drop_table("desk_login_failures")
    with op.batch_alter_table("desk_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_sessions_staff_id"))
    op.drop_table("desk_sessions")
    op.drop_table("desk_passwords")
