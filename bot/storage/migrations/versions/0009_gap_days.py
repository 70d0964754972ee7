"""Knowledge gaps counted per office day, for the dashboard's top unanswered topics of a period

Revision ID: 0009_gap_days
Revises: 0008_supervision
"""
from alembic import op
import sqlalchemy as sa


revision = "0009_gap_days"
down_revision = "0008_supervision"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "knowledge_gap_days",
        sa.Column("gap_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["gap_id"], ["knowledge_gaps.id"], name=op.f("fk_knowledge_gap_days_gap_id_knowledge_gaps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("gap_id", "day", name=op.f("pk_knowledge_gap_days")),
    )
    with op.batch_alter_table("knowledge_gap_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_knowledge_gap_days_day"), ["day"], unique=False)
    # gaps noted before this revision: their whole count on the (UTC) day they were last asked, the best the rows can tell
    gaps = sa.table("knowledge_gaps", sa.column("id"), sa.column("count"), sa.column("last_seen"))
    days = sa.table("knowledge_gap_days", sa.column("gap_id"), sa.column("day"), sa.column("count"))
    on_sqlite = op.get_bind().dialect.name == "sqlite"
    day = sa.func.date(gaps.c.last_seen) if on_sqlite else sa.cast(gaps.c.last_seen, sa.Date)
    op.execute(days.insert().from_select(["gap_id", "day", "count"], sa.select(gaps.c.id, day, gaps.c.count)))


def downgrade() -> None:
    with op.batch_alter_table("knowledge_gap_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_gap_days_day"))
    op.drop_table("knowledge_gap_days")
