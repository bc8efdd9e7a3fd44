"""A real ``chroma run`` server for tests: ``from tests.support.chroma_server import chroma_server``

The fixture is session-scoped: one server on a free loopback port, storing in a temporary folder,
shared by every test that asks for it (give each test its own collection name). It yields the
server's URL and stops the server at the end of the session. ``running_chroma`` starts a private
server for a test that needs to stop it.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.support.processes import stop

#: Seconds to wait for the server's first heartbeat (it takes about 1.5 s on 2 cores).
STARTUP_TIMEOUT = 30.0


def _heartbeat(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@contextmanager
def running_chroma(folder: Path) -> Iterator[str]:
    """Run ``chroma run`` storing in ``folder`` for the block; yield its URL, then stop it."""
    executable = shutil.which("chroma")
    if executable is None:
        pytest.fail("the `chroma` command (installed with chromadb) is not on PATH")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = folder / "server.log"
    command = [executable, "run", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [*command, "--path", str(folder / "data")], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_up(server, url, log_path)
        yield url
    finally:
        stop(server)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL (``http://127.0.0.1:<port>``) of a ``chroma run`` server shared by the session."""
    with running_chroma(tmp_path_factory.mktemp("chroma-server")) as url:
        yield url


def _wait_until_up(server: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(f"`chroma run` exited with status {server.returncode}:\n{tail}")
        if _heartbeat(url):
            return
        time.sleep(0.1)
    pytest.fail(f"`chroma run` gave no heartbeat at {url} within {STARTUP_TIMEOUT:.0f} s")
