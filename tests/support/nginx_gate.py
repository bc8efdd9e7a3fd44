"""The compose file's Chroma token gate (deploy/chroma-gate.conf.template) run by a real nginx in
front of a ``chroma run`` server, the template filled in as the official nginx image does.

Tests skip when nginx is missing, unless ``STORYFIT_REQUIRE_NGINX`` is set (CI installs it), in
which case a missing nginx fails the run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REPO, free_port
from tests.support.processes import stop

TEMPLATE = REPO / "deploy" / "chroma-gate.conf.template"
STARTUP_TIMEOUT = 15.0


def _nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        if os.environ.get("STORYFIT_REQUIRE_NGINX"):
            pytest.fail("STORYFIT_REQUIRE_NGINX is set but nginx is not installed")
        pytest.skip("nginx is not installed")
    return found


def _config(folder: Path, token: str, upstream: str, port: int) -> Path:
    """The template filled in with ``CHROMA_TOKEN`` (as the image's envsubst does), the
    compose service address swapped for ``upstream`` and the port for ``port``."""
    gate = TEMPLATE.read_text(encoding="utf-8").replace("${CHROMA_TOKEN}", token)
    gate = gate.replace("http://chroma:8000;", f"{upstream};")
    gate = gate.replace("listen 8000;", f"listen 127.0.0.1:{port};")
    (folder / "gate.conf").write_text(gate, encoding="utf-8")
    config = folder / "nginx.conf"
    config.write_text(
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\nhttp {{\n"
        f"  access_log off;\n  client_body_temp_path {folder}/body;\n"
        f"  proxy_temp_path {folder}/proxy;\n  include {folder}/gate.conf;\n}}\n",
        encoding="utf-8",
    )
    return config


@contextmanager
def nginx_gate(folder: Path, upstream: str, token: str) -> Iterator[str]:
    """Serve the gate in front of ``upstream`` for the block; yield its URL."""
    nginx = _nginx()
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = _config(folder, token, upstream, port)
    server = subprocess.Popen(
        [nginx, "-c", str(config), "-p", str(folder), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, url)
        yield url
    finally:
        stop(server)


def _wait_until_up(server: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            error = server.stderr.read().decode(errors="replace") if server.stderr else ""
            pytest.fail(f"nginx exited with status {server.returncode}: {error}")
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1).close()
        except urllib.error.HTTPError:
            return  # it answers (401 without the token)
        except OSError:
            time.sleep(0.05)
            continue
        return
    pytest.fail(f"nginx did not answer at {url} within {STARTUP_TIMEOUT:.0f} s")
