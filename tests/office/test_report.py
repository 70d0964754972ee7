"""Report figures checked against a hand-computed fixture (office 09:00-17:00, December 2026 has no holidays)."""

from __future__ import annotations

import asyncio
import csv
import json

from bot.__main__ import main
from bot.app import App
from bot.office import report
from bot.storage.models import Case, Staff
from bot.storage.supervision_models import Callback
from bot.storage.survey_models import Survey
from tests.conftest import local

PERIOD = (local(2026, 12, 1).date(), local(2026, 12, 4).date())


async def build_fixture(app: App) -> None:
    """Cases A–E, G, I and rectification R with known times (see the expected figures below)."""
    async with app.sessions() as session, session.begin():
        li = Staff(name="李明", role="staff", department="综合科", created_at=local(2026, 11, 1), active=True)
        wang = Staff(name="王芳", role="staff", department="审批科", created_at=local(2026, 11, 1), active=True)
        boss = Staff(name="王主任", role="supervisor", department="综合科", created_at=local(2026, 11, 1), active=True)
        session.add_all([li, wang, boss])
        await session.flush()

        def case(number, kind, department, staff, created, due, first=None, resolved=None, alerts=(), linked=None):
            row = Case(
                number=number,
                type=kind,
                status="resolved" if resolved else "in_progress",
                department=department,
                assignee_id=staff.id if staff else None,
                owner_id=staff.id if staff else None,
                created_at=created,
                due_at=due,
                first_response_at=first,
                resolved_at=resolved,
                alerts_raised=list(alerts),
                linked_case_id=linked,
            )
            session.add(row)
            return row

        end_of = lambda *day: local(*day, 23, 59, 59)  # noqa: E731
        a = case(
            "TS-20261201-0001",
            "complaint",
            "综合科",
            li,
            local(2026, 12, 1, 10),
            end_of(2026, 12, 15),
            local(2026, 12, 1, 11, 30),
            local(2026, 12, 2, 10),
            ["new_complaint"],
        )
        b = case(
            "TS-20261201-0002",
            "complaint",
            "综合科",
            li,
            local(2026, 12, 1, 16),
            local(2026, 12, 3, 12),
            local(2026, 12, 2, 9, 30),
            local(2026, 12, 3, 16),
            ["new_complaint", "reminder", "overdue"],
        )
        c = case(
            "ZX-20261202-0001",
            "consultation",
            "审批科",
            wang,
            local(2026, 12, 2, 9),
            end_of(2026, 12, 3),
            local(2026, 12, 2, 9, 15),
            local(2026, 12, 2, 11),
        )
        case(
            "ZX-20261203-0001",
            "consultation",
            "审批科",
            wang,
            local(2026, 12, 3, 10),
            end_of(2026, 12, 4),
            alerts=["reminder", "overdue", "supervise"],
        )
        case("TS-20261204-0001", "complaint", "综合科", None, local(2026, 12, 4, 10), end_of(2026, 12, 18), alerts=["new_complaint"])
        g = case(
            "ZX-20261127-0001",
            "consultation",
            "审批科",
            wang,
            local(2026, 11, 27, 10),
            end_of(2026, 11, 30),
            local(2026, 11, 27, 10, 5),
            local(2026, 11, 30, 15),
        )
        i = case(
            "TS-20261120-0001",
            "complaint",
            "综合科",
            li,
            local(2026, 11, 20, 10),
            end_of(2026, 12, 4),
            local(2026, 11, 20, 11),
            local(2026, 11, 30, 10),
        )
        await session.flush()
        r = case(
            "ZG-20261204-0001",
            "rectification",
            "综合科",
            boss,
            local(2026, 12, 4, 11),
            end_of(2026, 12, 25),
            local(2026, 12, 4, 12),
            local(2026, 12, 8, 10),
            linked=b.id,
        )
        await session.flush()

        def survey(of, kind, sent, status, rating=None, appeal=None, rectification=None):
            session.add(
                Survey(
                    case_id=of.id,
                    kind=kind,
                    status=status,
                    round=1,
                    rating=rating,
                    appeal_status=appeal,
                    rectification_case_id=rectification,
                    created_at=sent,
                    due_at=sent,
                    sent_at=sent,
                    answered_at=sent if rating else None,
                    expires_at=sent,
                )
            )

        survey(a, "followup", local(2026, 12, 3, 10), "answered", "very_satisfied")
        survey(b, "followup", local(2026, 12, 4, 10), "answered", "very_dissatisfied", rectification=r.id)
        survey(c, "followup", local(2026, 12, 3, 11), "answered", "dissatisfied", appeal="upheld")
        survey(g, "followup", local(2026, 12, 1, 10), "sent")
        survey(i, "followup", local(2026, 12, 2, 10), "answered", "fairly_satisfied")  # 基本满意 is 好评 too
        survey(r, "callback", local(2026, 12, 9, 10), "sent")  # the bot's own message: not a 回访
        # 王主任 rang the citizen of B twice: not reached, then reached and satisfied after the rectification
        session.add(
            Callback(case_id=r.id, staff_id=boss.id, staff_name="王主任", outcome="unreached", note="", created_at=local(2026, 12, 4, 15))
        )
        session.add(
            Callback(
                case_id=r.id,
                staff_id=boss.id,
                staff_name="王主任",
                outcome="reached",
                satisfied=True,
                note="",
                created_at=local(2026, 12, 5, 10),
            )
        )


async def test_report_figures_match_the_hand_computed_fixture(app):
    await build_fixture(app)
    async with app.sessions() as session:
        data = await report.build(session, app.services, *PERIOD, local(2026, 12, 10, 10))
    overall = data["overall"]
    assert overall == {
        "opened": 6,
        "resolved": 3,
        "on_time": 2,
        "deadlines": 4,
        "on_time_rate": 0.5,
        "median_first_response_hours": 1.25,
        "median_resolution_hours": 8.0,
        "surveys_sent": 4,
        "surveys_answered": 3,
        "response_rate": 0.75,
        "rated": 3,
        "satisfied": 2,
        "satisfaction_rate": 0.6667,
        "levels": {"very_satisfied": 1, "satisfied": 0, "fairly_satisfied": 1, "dissatisfied": 0, "very_dissatisfied": 1},
        "appeals_upheld": 1,
        "bad_reviews": 1,
        "rectifications_decided": 1,
        "rectifications_on_time": 1,
        "rectification_on_time_rate": 1.0,
        "called_back": 1,
        "callback_rate": 1.0,
        "escalations": {"reminder": 2, "overdue": 2, "supervise": 1},
        "callbacks_recorded": {"reached": 0, "unreached": 1},  # calls made in the period; the one that reached her fell on 12-05
    }
    general, approvals = data["departments"]["综合科"], data["departments"]["审批科"]
    assert (general["opened"], general["resolved"], general["on_time_rate"]) == (4, 2, 0.5)
    assert (general["median_first_response_hours"], general["median_resolution_hours"]) == (1.5, 12.0)
    assert (general["response_rate"], general["satisfaction_rate"], general["bad_reviews"], general["callback_rate"]) == (
        1.0,
        0.6667,
        1,
        1.0,
    )
    assert (approvals["opened"], approvals["on_time_rate"], approvals["median_first_response_hours"]) == (2, 0.5, 0.25)
    assert (approvals["surveys_sent"], approvals["response_rate"], approvals["satisfaction_rate"], approvals["appeals_upheld"]) == (
        1,
        0.0,
        None,
        1,
    )
    assert approvals["escalations"] == {"reminder": 1, "overdue": 1, "supervise": 1}
    li, supervisor = data["staff"]["李明"], data["staff"]["王主任"]
    assert (li["opened"], li["resolved"], li["on_time"], li["deadlines"], li["satisfied"], li["rated"]) == (2, 2, 1, 2, 2, 3)
    assert (supervisor["opened"], supervisor["resolved"], supervisor["median_first_response_hours"]) == (1, 0, 1.0)
    assert data["staff"]["未分配"]["opened"] == 1


async def test_bad_review_without_a_reached_call_back_shows_below_100_percent(app):
    """Only a staff member reaching the citizen is a 回访: the bot's survey message and an unanswered call don't count."""
    await build_fixture(app)
    from sqlalchemy import delete

    async with app.sessions() as session, session.begin():
        await session.execute(delete(Callback).where(Callback.outcome == "reached"))
    async with app.sessions() as session:
        data = await report.build(session, app.services, *PERIOD, local(2026, 12, 10, 10))
    assert (data["overall"]["called_back"], data["overall"]["callback_rate"]) == (0, 0.0)


async def test_case_rows_one_per_case_opened_in_the_period(app):
    await build_fixture(app)
    async with app.sessions() as session:
        rows = await report.case_rows(session, app.services, *PERIOD, local(2026, 12, 10, 10))
    assert [r["number"] for r in rows] == [
        "TS-20261201-0001",
        "TS-20261201-0002",
        "ZX-20261202-0001",
        "ZX-20261203-0001",
        "TS-20261204-0001",
        "ZG-20261204-0001",
    ]
    b, d, zg = rows[1], rows[3], rows[5]
    assert (b["on_time"], b["resolution_working_hours"], b["rating"], b["rectification_case"], b["escalations"]) == (
        "no",
        "16.00",
        "非常不满意",
        "ZG-20261204-0001",
        "reminder overdue",
    )
    assert (d["on_time"], d["first_response_working_hours"], d["assignee"]) == ("no", "", "王芳")
    assert (zg["linked_case"], zg["survey_kind"], zg["survey_status"]) == ("TS-20261201-0002", "callback", "sent")
    assert rows[2]["rating_excluded"] == "yes"


def test_report_command_prints_json_and_writes_the_csv(settings_factory, clock, database_url, tmp_path, monkeypatch, capsys):
    async def prepare():
        app = App(settings_factory(), clock)
        try:
            await build_fixture(app)
        finally:
            await app.close()

    asyncio.run(prepare())
    monkeypatch.setenv("CONSULT_DATABASE_URL", database_url)
    assert main(["report", "--from", "2026-12-01", "--to", "2026-12-04", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["overall"]["opened"], data["overall"]["resolved"], data["overall"]["satisfaction_rate"]) == (6, 3, 0.6667)
    assert data["outbox_unknown"] == 0
    out = tmp_path / "cases.csv"
    assert main(["report", "--from", "2026-12-01", "--to", "2026-12-04", "--csv", str(out)]) == 0
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6 and rows[0]["编号"] == "TS-20261201-0001" and rows[0]["评价"] == "非常满意"
    assert main(["report", "--from", "2026-12-01", "--to", "2026-12-04"]) == 0
    text = capsys.readouterr().out
    assert "满意率" in text and "66.7%" in text and "综合科" in text


async def test_period_edges_are_exact_to_the_microsecond_and_in_office_days(app):
    """A case received at the first local midnight of the period counts, one a microsecond earlier doesn't; a case
    received at 23:59:59.999999 on the last day counts, one at the next midnight doesn't; each on its office day."""
    from datetime import timedelta

    tick = timedelta(microseconds=1)
    start, after = local(2026, 12, 1), local(2026, 12, 5)
    moments = {"ZX-20261130-0001": start - tick, "ZX-20261201-0001": start, "ZX-20261204-0001": after - tick, "ZX-20261205-0001": after}
    async with app.sessions() as session, session.begin():
        for number, moment in moments.items():
            session.add(
                Case(
                    number=number,
                    type="consultation",
                    status="new",
                    created_at=moment,
                    due_at=moment + timedelta(days=30),
                    alerts_raised=[],
                )
            )
    async with app.sessions() as session:
        data = await report.build(session, app.services, *PERIOD, local(2026, 12, 10, 10))
    assert data["overall"]["opened"] == 2
    per_day = {day["day"]: day["consultation"] for day in data["daily"]}
    assert per_day == {"2026-12-01": 1, "2026-12-02": 0, "2026-12-03": 0, "2026-12-04": 1}
