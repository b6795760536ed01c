"""Driving the real bot the way people meet it: `steller up` (API, worker, simulator and the bot, polling)
in a subprocess on a database of its own, pointed at a stand-in Bot API server that runs in the test
process; people are `Chat`s that type and press buttons and read what the bot sent back.

    async with running_telegram_api() as api, running_platform(api, database_url=…, redis_url=…) as up:
        up.steller("catalog", "sync", "--full")
        agent = Chat(api, 1001, "Amira")
        await agent.send("/start " + payload, expect="invites you")
        await agent.press("Join", expect="Welcome")

Used by tests/e2e/test_bot_journey.py; the benches in bench/ use the same pieces.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from tests.support.telegram_api import BOT_USERNAME, TelegramBotAPI, free_port

ROOT = Path(__file__).resolve().parents[2]
# Calls by which the bot shows something in a chat (a new message or an edit in place).
SHOWING = frozenset({"sendmessage", "editmessagetext", "editmessagereplymarkup", "senddocument", "sendphoto",
                     "editmessagecaption"})


def _asyncpg_dsn(url: str) -> str:
    from core.db import _asyncpg_dsn as dsn

    return dsn(url)


@dataclass
class Platform:
    """A running `steller up` with the bot: its environment, its log file, its database."""

    proc: subprocess.Popen
    env: dict[str, str]
    log_path: Path
    database_url: str
    _db: asyncpg.Connection | None = field(default=None, repr=False)

    def steller(self, *args: str, check: bool = True) -> str:
        """Run the operator CLI against this platform's database; its stdout (stderr too when it fails).
        Bamboo's "429: wait, then retry the same call" (exit status 4) is retried, as an operator would."""
        for attempt in range(3):
            result = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=self.env,
                                    capture_output=True, text=True, timeout=120, check=False)
            if result.returncode != 4 or "429" not in result.stderr:
                break
            time.sleep(1.5 * (attempt + 1))
        if check:
            assert result.returncode == 0, f"steller {' '.join(args)} exited {result.returncode}: {result.stderr}"
            return result.stdout
        return result.stdout + result.stderr

    async def sql(self, query: str, *args: Any) -> list[asyncpg.Record]:
        """Read (or, for a test's setup, write) this platform's database directly."""
        if self._db is None:
            self._db = await asyncpg.connect(_asyncpg_dsn(self.database_url))
        return await self._db.fetch(query, *args)

    def log_events(self) -> list[dict]:
        """Every JSON log line the platform wrote so far (stdout and stderr)."""
        events = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    events.append(json.loads(line))
                except ValueError:
                    pass
        return events

    def events_named(self, name: str) -> list[dict]:
        return [e for e in self.log_events() if e.get("event") == name]

    async def aclose(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None


def platform_env(api: TelegramBotAPI, *, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `steller up` whose bot polls `api` (no real Bamboo, no real Telegram)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BAMBOO_", "TELEGRAM_", "BOT_"))}
    env.update(api.env())
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, API_PORT=str(free_port()),
               SIMULATOR_PORT=str(free_port()), TELEGRAM_BOT_USERNAME=BOT_USERNAME, LOG_LEVEL="WARNING",
               LOG_FORMAT="json", PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1",
               STELLER_ENV=os.environ.get("STELLER_ENV", "test"))
    env.pop("ADMIN_TELEGRAM_IDS", None)
    env.update(extra)
    return env


@asynccontextmanager
async def running_platform(api: TelegramBotAPI, *, database_url: str, redis_url: str,
                           **extra_env: str) -> AsyncIterator[Platform]:
    """A fresh database and Redis DB, `steller up` until its API is ready and its bot polls the stand-in;
    SIGTERM afterwards. The log (JSON lines) is in a temp directory: `Platform.log_path`."""
    from redis.asyncio import Redis

    from core.db import drop_database

    await drop_database(database_url)
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    env = platform_env(api, database_url=database_url, redis_url=redis_url, **extra_env)
    log_path = Path(tempfile.mkdtemp(prefix="steller-bot-e2e-")) / "up.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "cli.main", "up"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    platform = Platform(proc=proc, env=env, log_path=log_path, database_url=database_url)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{env['API_PORT']}") as http:
            deadline = time.monotonic() + 90  # migrations on a busy machine
            while True:
                assert proc.poll() is None, f"steller up exited {proc.returncode}:\n{log_path.read_text()[-3000:]}"
                try:
                    if (await http.get("/health/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "steller up did not become ready"
                await asyncio.sleep(0.2)
        await api.wait_for_calls("getUpdates", in_flight=True, timeout=30)  # the bot is polling
        yield platform
    finally:
        stop(proc)
        await platform.aclose()
        await redis.flushdb()
        await redis.aclose()
        # The database stays for a post-mortem (the next run drops it first): DROP DATABASE waits for a
        # checkpoint, tens of seconds on a busy machine.


def stop(proc: subprocess.Popen, timeout: float = 40) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


# --- people ------------------------------------------------------------------------------------


def text_of(message: dict) -> str:
    return message.get("text", message.get("caption", ""))


def buttons_of(message: dict) -> list[tuple[str, str | None]]:
    markup = message.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data")) for row in markup.get("inline_keyboard", []) for b in row]


class Chat:
    """One Telegram user in a private chat with the bot: types, presses buttons, reads the chat."""

    def __init__(self, api: TelegramBotAPI, user_id: int, first_name: str, *, language_code: str = "en"):
        self.api, self.user_id, self.first_name, self.language_code = api, user_id, first_name, language_code

    # reading

    @property
    def messages(self) -> list[dict]:
        """The bot's messages in this chat as they are now (edited in place, deleted ones gone)."""
        return self.api.sent_messages(self.user_id)

    def message(self, message_id: int) -> dict | None:
        return next((m for m in self.messages if m["message_id"] == message_id), None)

    def find(self, contains: str) -> dict | None:
        """The newest bot message whose text contains `contains`."""
        return next((m for m in reversed(self.messages) if contains in text_of(m)), None)

    def button(self, text_part: str, *, message: dict | None = None) -> tuple[dict, str]:
        """(message, callback data) of a button whose text contains `text_part`: on `message`, else on the
        newest bot message that has one (notifications may have arrived after the menu)."""
        candidates = [message] if message is not None else list(reversed(self.messages))
        for candidate in candidates:
            for text, data in buttons_of(candidate):
                if text_part in text and data is not None:
                    return candidate, data
        shown = [buttons_of(m) for m in candidates[:3]]
        raise AssertionError(f"chat {self.user_id}: no button with {text_part!r}; newest buttons: {shown}")

    def has_button(self, text_part: str, *, message: dict | None = None) -> bool:
        try:
            self.button(text_part, message=message)
        except AssertionError:
            return False
        return True

    # acting

    async def send(self, text: str, *, expect: str | Callable[[dict], bool] | None = None,
                   timeout: float = 15.0) -> dict:
        """Type `text`; wait for what the bot shows in reply (a message whose text contains `expect`, or
        any new message or edit) and return that message as it is now."""
        mark = len(self.api.calls)
        self.api.push_message(self.user_id, text, first_name=self.first_name, language_code=self.language_code)
        return await self._shown_since(mark, expect, timeout, what=f"reply to {text!r}")

    async def press(self, button_text: str, *, message: dict | None = None,
                    expect: str | Callable[[dict], bool] | None = None, timeout: float = 15.0) -> str:
        """Press the button whose text contains `button_text`; returns the press's answer (a toast's text,
        "" for none) once the bot answered it, after `expect` showed up when given."""
        shown_on, data = self.button(button_text, message=message)
        return await self.press_data(data, message_id=shown_on["message_id"], expect=expect, timeout=timeout)

    async def press_data(self, data: str, *, message_id: int | None = None, chat_id: int | None = None,
                         expect: str | Callable[[dict], bool] | None = None, timeout: float = 15.0) -> str:
        """A press with exactly this callback data (forged ones too), on a message of `chat_id` (default:
        this chat; the newest bot message unless `message_id`)."""
        mark = len(self.api.calls)
        update = self.api.push_callback(self.user_id, data, message_id=message_id, chat_id=chat_id)
        query_id = update["callback_query"]["id"]
        answer = await self.api.wait_for(
            lambda: next((c for c in self.api.calls[mark:] if c.method.lower() == "answercallbackquery"
                          and str(c.params.get("callback_query_id")) == query_id and c.answered_at), None),
            timeout)
        if expect is not None:
            await self._shown_since(mark, expect, timeout, what=f"after pressing {data!r}")
        return answer.params.get("text") or ""

    async def wait_for(self, expect: str | Callable[[dict], bool], *, timeout: float = 15.0) -> dict:
        """A bot message in this chat (as it is now) that contains `expect` / satisfies it."""
        matches = _matcher(expect)
        try:
            return await self.api.wait_for(
                lambda: next((m for m in reversed(self.messages) if matches(m)), None), timeout)
        except TimeoutError:
            raise AssertionError(f"chat {self.user_id}: nothing like {expect!r} within {timeout:g} s; "
                                 f"last messages: {[text_of(m) for m in self.messages[-3:]]}") from None

    async def _shown_since(self, mark: int, expect, timeout: float, *, what: str) -> dict:
        matches = _matcher(expect) if expect is not None else (lambda m: True)

        def shown():
            for call in self.api.calls[mark:]:
                if (call.ok and call.method.lower() in SHOWING and call.chat_id == self.user_id
                        and isinstance(call.result, dict)):
                    current = self.message(call.result["message_id"])
                    if current is not None and matches(current):
                        return current
            return None

        try:
            return await self.api.wait_for(shown, timeout)
        except TimeoutError:
            raise AssertionError(f"chat {self.user_id}: no {what} like {expect!r} within {timeout:g} s; "
                                 f"last messages: {[text_of(m) for m in self.messages[-3:]]}") from None


def _matcher(expect: str | Callable[[dict], bool]) -> Callable[[dict], bool]:
    if callable(expect):
        return expect
    return lambda message: expect in text_of(message)


def link_payload(text: str) -> str:
    """The /start payload of the first t.me link in `text` (an invite)."""
    found = re.search(r"https://t\.me/\w+\?start=([\w-]+)", text)
    assert found, f"no invite link in {text!r}"
    return found.group(1)
