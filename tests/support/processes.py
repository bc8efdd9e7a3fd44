"""Stopping the servers tests start."""

from __future__ import annotations

import subprocess

#: Seconds a server gets to stop after SIGTERM before it is killed.
STOP_TIMEOUT = 10.0


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process`` and wait for it; kill it if it has not stopped in time."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
