"""Slow work beside the conversation: a citizen's turn is still answered promptly while it runs."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import yaml

from bot.app import App
from tests.conftest import Citizen
from tests.fakes.recording import RecordingChannel

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
PROMPT_SECONDS = 0.5


def _large_knowledge_base(folder: Path, count: int) -> None:
    """The shipped procedures plus `count` generated ones, so that loading takes seconds."""
    shutil.copytree(KNOWLEDGE, folder)
    template = yaml.safe_load((KNOWLEDGE / "procedures" / "health-certificate.yaml").read_text(encoding="utf-8"))
    for i in range(count):
        generated = {**template, "id": f"generated-{i:05d}", "title": f"第{i}号示范事项办理", "keywords": [f"示范事项{i}"]}
        (folder / "procedures" / f"generated-{i:05d}.yaml").write_text(yaml.safe_dump(generated, allow_unicode=True), encoding="utf-8")


async def test_a_turn_is_answered_promptly_while_an_edited_large_knowledge_base_reloads(settings_factory, clock, tmp_path):
    folder = tmp_path / "knowledge"
    _large_knowledge_base(folder, 1500)
    app = App(settings_factory(knowledge_dir=folder), clock)
    app.add_channel(RecordingChannel("console"))
    try:
        alice = Citizen(app)
        await alice.say("你好")
        edited = folder / "procedures" / "generated-00000.yaml"
        edited.write_text(edited.read_text(encoding="utf-8").replace("第0号示范事项办理", "第0号示范事项（已修订）"), encoding="utf-8")

        started = time.perf_counter()
        reload = asyncio.create_task(app.reload_knowledge())
        await asyncio.sleep(0.05)  # let the reload get under way
        assert not reload.done(), "the reload should take long enough to overlap the turn"
        asked = time.perf_counter()
        replies = await alice.say("出生医学证明补办要带什么材料")
        answered = time.perf_counter() - asked
        assert await reload
        reload_seconds = time.perf_counter() - started

        assert "一次性告知" in replies[-1]
        assert answered < PROMPT_SECONDS, f"turn took {answered:.2f}s while a {reload_seconds:.1f}s reload ran"
        assert app.services.knowledge.current.get("generated-00000").title == "第0号示范事项（已修订）"
    finally:
        await app.close()
