"""Shared plumbing for the bot benches (bot_wallet.py: S6, bot_fuzz.py: R7).

- the stand-in Telegram Bot API (tests/support/telegram_api.py) runs in the bench process on loopback;
- the real bot process, `steller bot` (polling the stand-in), on a scratch database and a Redis DB of
  its own, logging JSON to a file in a temp directory;
- Telegram users bound to parties the way an accepted invite binds them (core.parties.bind_member);
- reading the bot's log (e.g. "bot_update_failed": an update that ended in an unhandled exception) and
  its resident memory.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h

from tests.support.telegram_api import BOT_USERNAME, TelegramBotAPI


def bot_env(api: TelegramBotAPI, *, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The bot's environment: this run's database and Redis, the stand-in as Telegram, no admins."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BAMBOO_", "TELEGRAM_", "BOT_")) and k != "ADMIN_TELEGRAM_IDS"}
    env.update(api.env())
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, TELEGRAM_BOT_USERNAME=BOT_USERNAME,
               LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"), LOG_FORMAT="json", PYTHONUNBUFFERED="1",
               STELLER_ENV=os.environ.get("STELLER_ENV", "development"), PYTHONPATH=str(h.ROOT))
    env.update(extra)
    return env


class BotProcess(h.Proc):
    """`steller bot`, polling the stand-in."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        super().__init__("bot", [h.PY, "-m", "cli.main", "bot"], env, log_dir)

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    async def wait_polling(self, api: TelegramBotAPI, seconds: float = 60.0) -> None:
        deadline = asyncio.get_running_loop().time() + seconds
        while not api.calls_to("getUpdates", in_flight=True):
            if not self.alive:
                raise RuntimeError(f"the bot exited with {self.proc.returncode} (see {self.log_path})")
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"the bot did not start polling (see {self.log_path})")
            await asyncio.sleep(0.1)

    def events(self) -> list[dict]:
        events = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    events.append(json.loads(line))
                except ValueError:
                    pass
        return events

    def events_named(self, name: str) -> list[dict]:
        return [e for e in self.events() if e.get("event") == name]

    def tracebacks(self) -> int:
        """Lines of a Python traceback printed outside the structured log (a crash in the framework)."""
        return sum(1 for line in self.log_path.read_text(errors="replace").splitlines()
                   if line.startswith("Traceback (most recent call last)"))

    def cpu_seconds(self) -> float:
        """User + system CPU time the bot used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Resident memory now (Linux /proc), in MB."""
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


async def bind(party_id: int, telegram_user_id: int, *, role: str = "owner", name: str = "") -> None:
    """A Telegram user joins `party_id` with `role`, as an accepted invite binds them (caller's transaction)."""
    from core.parties import service as parties
    from core.parties.models import MemberRole

    await parties.lock_telegram_user(telegram_user_id)
    await parties.bind_member(party_id=party_id, telegram_user_id=telegram_user_id, role=MemberRole(role),
                              actor=f"tg:{telegram_user_id}", display_name=name or f"user {telegram_user_id}",
                              language="en")


def own_cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]
