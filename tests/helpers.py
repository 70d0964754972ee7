"""Small builders shared by the case tests: staff rows and a filed complaint."""

from __future__ import annotations

from bot.storage.models import Staff
from tests.conftest import Citizen


async def add_staff(app, name: str, role: str = "staff", department: str | None = "综合科", **fields) -> Staff:
    """Register a staff member directly in the database."""
    async with app.sessions() as session, session.begin():
        staff = Staff(name=name, role=role, department=department, created_at=app.clock.now(), active=True, **fields)
        session.add(staff)
    return staff


async def file_complaint(citizen: Citizen, text: str = "窗口工作人员态度很差，让我跑了三趟", phone: str = "跳过") -> str:
    """Go through intake and return the case number the citizen was given."""
    await citizen.say(text)
    await citizen.say("跳过")
    await citizen.say(phone)
    filed = (await citizen.say("确认"))[-1]
    return filed.split("编号 ")[1][:16]
