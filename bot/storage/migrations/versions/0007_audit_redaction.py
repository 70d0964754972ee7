"""audit trail: append-only, except that erasure (PIPL) may replace a line's free-text detail by the redaction marker

Revision ID: 0007_audit_redaction
Revises: 0006_wechat_nonces
"""

from alembic import op

revision = "0007_audit_redaction"
down_revision = "0006_wechat_nonces"
branch_labels = None
depends_on = None

# keep in step with bot.office.privacy.ANONYMISED (the marker deleted text is replaced by)
MARKER = "（已应申请删除个人信息）"
UNCHANGED = "NEW.id = OLD.id AND NEW.case_id IS OLD.case_id AND NEW.actor = OLD.actor AND NEW.action = OLD.action AND NEW.created_at = OLD.created_at"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP = 'UPDATE' AND NEW.detail = '{MARKER}' AND NEW.id = OLD.id AND NEW.case_id IS NOT DISTINCT FROM OLD.case_id "
            "AND NEW.actor = OLD.actor AND NEW.action = OLD.action AND NEW.created_at = OLD.created_at THEN RETURN NEW; END IF; "
            "RAISE EXCEPTION 'audit trail is append-only'; END; $$ LANGUAGE plpgsql"
        )
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            f"WHEN NOT (NEW.detail = '{MARKER}' AND {UNCHANGED}) "
            "BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'audit trail is append-only'; END; $$ LANGUAGE plpgsql"
        )
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events BEGIN SELECT RAISE(ABORT, 'audit trail is append-only'); END"
        )
