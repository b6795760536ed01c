"""Real `steller` processes for end-to-end tests: start one, wait until it is ready, stop it cleanly."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


async def start_ready(*args: str, env: dict, base_url: str, timeout: float = 60,
                      stdout=subprocess.DEVNULL) -> subprocess.Popen:
    """`steller <args>` in the background, returned once its `/health/ready` answers 200."""
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=env, stdout=stdout,
                            stderr=subprocess.PIPE, text=True)
    async with httpx.AsyncClient(base_url=base_url) as http:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, proc.communicate()
            try:
                if (await http.get("/health/ready")).status_code == 200:
                    return proc
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"steller {' '.join(args)} did not become ready"
            await asyncio.sleep(0.2)


def stop(proc: subprocess.Popen, *, timeout: float = 40) -> int:
    """SIGTERM, then SIGKILL if it will not go; the exit code (negative: killed)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
