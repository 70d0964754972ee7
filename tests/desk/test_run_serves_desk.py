"""`run` in console mode serves the desk beside the console chat and prints its URL first."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import httpx

from tests.cli.test_cli import ROOT


def test_console_mode_run_prints_the_desk_url_and_serves_it(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSULT_")}
    env.update(
        CONSULT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}", CONSULT_HTTP_PORT=str(port), CONSULT_CACHE_DIR=str(tmp_path)
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stdin is not None
        first = process.stdout.readline().strip()
        assert first == f"web desk: http://127.0.0.1:{port}/desk/"
        response = httpx.get(f"http://127.0.0.1:{port}/desk/", follow_redirects=False, timeout=5)  # printed once it answers
        assert response.status_code == 303 and response.headers["location"] == "/desk/login"
        assert "工作人员登录" in httpx.get(f"http://127.0.0.1:{port}/desk/login", timeout=2).text
        process.stdin.write("你好\n")
        process.stdin.close()  # the console chat ends with its input, and run with it
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
