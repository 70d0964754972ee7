"""The desk as a browser sees it, in-process: an httpx client on the ASGI app, signing in through the login form."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import httpx

from bot.office import accounts
from bot.storage.models import Staff
from bot.web import create_web_app

PASSWORD = "window-clerk-2026"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def add_staff(app, name: str, role: str = "staff", department: str | None = "综合科", password: str | None = PASSWORD) -> int:
    """A staff member with a desk password."""
    async with app.sessions() as session, session.begin():
        member = Staff(name=name, role=role, department=department, active=True, created_at=app.clock.now())
        session.add(member)
        await session.flush()
        if password:
            await accounts.set_password(session, member, password, app.clock.now(), actor="test")
        return member.id


class Browser:
    """One browser: its own cookies; signs in, opens pages, posts forms with the page's CSRF token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def login(self, name: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
        """Fill in and submit the login form."""
        page = await self.client.get("/desk/login", headers=headers)
        return await self.client.post("/desk/login", data={"name": name, "password": password, "csrf": csrf_of(page.text)}, headers=headers)

    async def open(self, path: str, **headers: str) -> httpx.Response:
        """GET a page and remember its CSRF token."""
        response = await self.client.get(path, headers=headers)
        if response.status_code == 200 and 'name="csrf"' in response.text:
            self.csrf = csrf_of(response.text)
        return response

    async def act(self, number: str, verb: str, **fields: str) -> httpx.Response:
        """Press a case-page button (after opening the page for its token)."""
        await self.open(f"/desk/cases/{number}")
        return await self.client.post(f"/desk/cases/{number}/act", data={"csrf": self.csrf, "verb": verb, **fields})


@asynccontextmanager
async def browsers(app, base_url: str = "http://desk.test"):
    """A factory of independent browsers on the app's ASGI desk."""
    web = create_web_app(app)
    clients: list[httpx.AsyncClient] = []

    def new() -> Browser:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web, client=(f"127.0.1.{len(clients) + 1}", 5000)), base_url=base_url)
        clients.append(client)
        return Browser(client)

    try:
        yield new
    finally:
        for client in clients:
            await client.aclose()
