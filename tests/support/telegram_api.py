"""A stand-in Telegram Bot API server on a loopback port, for tests and benches.

Point the bot at it with `TELEGRAM_API_URL=<api.base_url>` and `TELEGRAM_BOT_TOKEN=<api.token>`
(`api.env()` gives both). It speaks the Bot API's wire format — `GET`/`POST /bot<token>/<method>` with a
query string, a JSON body, an urlencoded form or a multipart form (what aiogram sends), answering
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}` — and keeps
enough state to answer like Telegram: per-chat message ids, messages that can be edited and deleted
(with Telegram's "message is not modified" / "message to edit not found" errors), a getUpdates queue
with offsets and long polling (409 while a webhook is set, 409 to the older of two pollers), webhook
delivery of queued updates, commands per scope and language, uploaded files.

    async with running_telegram_api() as api:
        notifier = make_notifier(Settings(**api.env()))          # or env vars for a bot process
        api.push_message(1001, "/wallet", language_code="ar")   # an update for getUpdates / the webhook
        [reply] = await api.wait_for_messages(1001)             # what the bot sent to that chat
        api.block(1002); api.flood(retry_after=7); api.fail(502, html=True); api.disconnect()
        api.calls  # every request, in arrival order: ApiCall(method, params, at, status, result, error, ...)
        api.calls_to("sendMessage", chat_id=1001)  # answered calls of one method; api.listeners for benches

Fault knobs (`fail`, `flood`, `server_error`, `disconnect`, `block`, `chat_not_found`, `revoke_token`,
`set_latency`) apply to later requests; `reset()` forgets calls, chats, updates and faults (ids keep
growing, so a bot still polling is not confused). Bad requests are refused as Telegram refuses them: empty
or over-long text, HTML / MarkdownV2 that does not parse, callback_data over 64 bytes. A small control API
under `/_stub/` (push updates, read calls and messages, add faults, reset) lets another process drive
it, and `python -m tests.support.telegram_api --port 8081` runs it on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import itertools
import json
import re
import socket
import time
from collections.abc import Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from typing import Any

import aiohttp
from aiohttp import web

DEFAULT_TOKEN = "4242424242:AAFstand-in_TOKEN-for-tests-0123456789xyz"
BOT_FIRST_NAME = "Steller Test Bot"
BOT_USERNAME = "steller_test_bot"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_POLL_TIMEOUT = 50.0  # Telegram caps long polling too

# Form values are strings; the Bot API decodes JSON for every field but these free-text ones.
TEXT_FIELDS = frozenset({
    "text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "url", "secret_token",
    "language_code", "action", "emoji", "title", "description", "short_description", "name",
    "business_connection_id", "message_effect_id", "ip_address", "query_id", "custom_title",
})
ERROR_DESCRIPTIONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
    429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}
BLOCKED = "Forbidden: bot was blocked by the user"
CHAT_NOT_FOUND = "Bad Request: chat not found"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
_HTML_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
                        "code", "pre", "tg-emoji", "blockquote"})
_MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_BOT_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


class ApiError(Exception):
    """An error answer; raise it from a handler (or let a fault raise it)."""

    def __init__(self, status: int, description: str, *, retry_after: int | None = None,
                 migrate_to_chat_id: int | None = None):
        super().__init__(description)
        self.status, self.description = status, description
        self.retry_after, self.migrate_to_chat_id = retry_after, migrate_to_chat_id

    def body(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        parameters = {k: v for k, v in (("retry_after", self.retry_after),
                                         ("migrate_to_chat_id", self.migrate_to_chat_id)) if v is not None}
        if parameters:
            body["parameters"] = parameters
        return body


@dataclass
class UploadedFile:
    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ApiCall:
    """One request as the stand-in saw it. `params` are decoded (ints, dicts, lists, bools)."""

    method: str  # as spelled in the URL, e.g. "sendMessage"
    params: dict
    at: float  # time.time() when the request arrived
    token: str = field(repr=False)
    http_method: str = "POST"
    files: dict[str, UploadedFile] = field(default_factory=dict)  # param name → upload
    status: int | None = None  # HTTP status answered (None: in flight, or the connection was dropped)
    result: Any = None  # "result" of an ok answer
    error: str | None = None  # "description" of an error answer
    answered_at: float | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> int | str | None:
        return _chat_key(self.params.get("chat_id"))

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("token")
        data["files"] = {k: {"filename": f.filename, "content_type": f.content_type, "size": f.size}
                         for k, f in self.files.items()}
        return data


@dataclass
class Fault:
    """An injected failure for matching requests. `times=None` keeps it until cleared."""

    status: int = 500
    description: str | None = None
    method: str | None = None  # None: every method (getUpdates too)
    chat_id: int | str | None = None  # None: any chat (and calls without one)
    times: int | None = 1
    retry_after: int | None = None
    html: bool = False  # answer an HTML page, like a proxy in front of Telegram
    disconnect: bool = False  # drop the connection without an answer
    hits: int = 0

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or _chat_key(self.chat_id) == chat_id

    def error(self) -> ApiError:
        description = self.description or ERROR_DESCRIPTIONS.get(self.status, "Error")
        return ApiError(self.status, description, retry_after=self.retry_after)


class _Disconnect(Exception):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (right now): for "Telegram unreachable" tests."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _chat_key(chat_id: Any) -> int | str | None:
    if isinstance(chat_id, bool) or chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id).strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def _decode(name: str, value: Any) -> Any:
    if not isinstance(value, str) or name in TEXT_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


class _HtmlText(HTMLParser):
    """Telegram's HTML parse mode, enough to refuse what Telegram refuses and keep the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[str] = []
        self.problem: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag not in _HTML_TAGS:
            self.problem = self.problem or f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problem = self.problem or f'Unexpected end tag "{tag}"'
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.parts.append(data)


def _markdown_v2_reserved(ch: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: Character '{ch}' is reserved and must be escaped "
                         "with the preceding '\\'")


def _markdown_v2_text(text: str) -> str:
    """MarkdownV2, approximately: refuse unescaped reserved characters, keep the visible text."""
    out: list[str] = []
    i, n, code = 0, len(text), ""
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
        elif code:  # inside `code` or ```pre```: everything is literal but the closing fence
            if text.startswith(code, i):
                i, code = i + len(code), ""
            else:
                out.append(ch)
                i += 1
        elif ch == "`":
            code = "```" if text.startswith("```", i) else "`"
            i += len(code)
            if code == "```":  # an optional language name up to the line end
                newline = text.find("\n", i)
                if newline != -1 and re.fullmatch(r"[A-Za-z0-9_+-]*", text[i:newline]):
                    i = newline + 1
        elif ch == "]" and text.startswith("(", i + 1):  # [text](url): the url is not shown
            close = re.compile(r"(?<!\\)\)").search(text, i + 2)
            if close is None:
                raise ApiError(400, "Bad Request: can't parse entities: Can't find end of a URL")
            i = close.end()
        elif ch == "|" and text.startswith("||", i):  # spoiler
            i += 2
        elif ch in "_*~[]":  # formatting (pairing is not checked)
            i += 1
        elif ch == ">" and (i == 0 or text[i - 1] == "\n"):  # block quote
            i += 1
        elif ch in _MARKDOWN_V2_RESERVED:
            raise _markdown_v2_reserved(ch)
        else:
            out.append(ch)
            i += 1
    if code:
        raise ApiError(400, "Bad Request: can't parse entities: Can't find end of the entity starting at byte "
                            f"offset {len(text.encode()) - 1}")
    return "".join(out)


def _visible_text(text: str, parse_mode: str | None) -> str:
    """The message text Telegram stores, or ApiError 400 "can't parse entities"."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        # A "<" that does not open a tag is refused by Telegram (HTMLParser would keep it as text).
        for match in re.finditer(r"<", text):
            if not re.match(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?>", text[match.start():]):
                raise ApiError(400, f"Bad Request: can't parse entities: Unsupported start tag at byte "
                                    f"offset {len(text[:match.start()].encode())}")
        parser = _HtmlText()
        parser.feed(text)
        parser.close()
        problem = parser.problem or (f'Can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
                                     if parser.stack else None)
        if problem:
            raise ApiError(400, f"Bad Request: can't parse entities: {problem}")
        return "".join(parser.parts)
    if mode == "markdownv2":
        return _markdown_v2_text(text)
    if mode == "markdown":
        return re.sub(r"[*_`]", "", text)
    return text


def _check_markup(markup: Any) -> dict | None:
    """Validate a reply_markup; return it when Telegram would echo it in the Message (inline only)."""
    if markup in (None, ""):
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, "Bad Request: field \"inline_keyboard\" must be an Array of Arrays")
    actions = ("callback_data", "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
               "switch_inline_query_chosen_chat", "callback_game", "pay", "web_app", "copy_text")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text must be non-empty")
            if not any(key in button for key in actions):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are "
                                    "unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not (1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA):
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


class TelegramBotAPI:
    """The stand-in's state and handlers; `running_telegram_api()` starts one on a free loopback port."""

    def __init__(self, *, token: str = DEFAULT_TOKEN, host: str = "127.0.0.1", port: int = 0,
                 strict_chats: bool = False, webhook_max_attempts: int = 3, webhook_retry_delay: float = 0.05):
        self.token = token
        self.host, self.port = host, port
        # True: sending to a private chat whose user never wrote to the bot is refused, as on Telegram.
        self.strict_chats = strict_chats
        self.webhook_max_attempts, self.webhook_retry_delay = webhook_max_attempts, webhook_retry_delay
        self.base_url = ""
        self.listeners: list[Callable[[ApiCall], None]] = []  # called with every answered call
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._closing = False
        self._valid_tokens = {token}
        self._tick = asyncio.Event()  # set (and replaced) whenever a call is answered or an update pushed
        # Ids only grow, across reset() too: a bot still polling with an old offset must not skip new updates.
        self._update_ids = itertools.count(100_000_001)
        self._callback_ids = itertools.count(4_000_000_000_000_000_001)
        self._message_ids: dict[int | str, itertools.count] = {}
        self._file_ids = itertools.count(1)
        self._poll_generation = 0
        self._webhook_tasks: set[asyncio.Task] = set()
        self._webhook_semaphore = asyncio.Semaphore(40)
        self.reset()

    # --- lifecycle -----------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/_stub/{action}", self._control)
        app.router.add_route("*", "/_stub/{action}/{arg}", self._control)
        return app

    async def start(self) -> TelegramBotAPI:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        # No access log: it would print every URL, and the URL carries the token.
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self.base_url = f"http://{self.host}:{self.port}"
        self._closing = False
        return self

    async def stop(self) -> None:
        self._closing = True
        self._wake()
        for task in list(self._webhook_tasks):
            task.cancel()
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def env(self) -> dict[str, str]:
        """Settings for a bot or worker pointed at this stand-in."""
        return {"TELEGRAM_BOT_TOKEN": self.token, "TELEGRAM_API_URL": self.base_url}

    def reset(self) -> None:
        """Forget calls, chats, updates, faults, webhook and a revoked token; ids keep growing."""
        self.calls: list[ApiCall] = []
        self.faults: list[Fault] = []
        self.blocked: set[int | str] = set()
        self.missing_chats: set[int | str] = set()
        self.latency: dict[str | None, float] = {}
        self.users: dict[int, dict] = {}
        self.chats: dict[int | str, dict[int, dict]] = {}  # chat → message_id → Message
        self.deleted: dict[int | str, list[dict]] = {}
        self.files: dict[str, UploadedFile] = {}  # file_id → upload
        self.commands: dict[tuple[str, str], list[dict]] = {}  # (scope JSON, language) → commands
        self.callback_queries: dict[str, dict] = {}
        self.answered_callbacks: dict[str, dict] = {}
        self.chat_actions: list[tuple[int | str, str]] = []
        self.webhook: dict | None = None
        self.webhook_deliveries: list[dict] = []
        self.pushed_at: dict[int, float] = {}  # update_id → when it was pushed
        self.fetched_at: dict[int, float] = {}  # update_id → when the bot got it (getUpdates or webhook)
        self._updates: list[dict] = []  # not yet confirmed
        self._allowed_updates: list[str] | None = None
        self._valid_tokens = {self.token}
        self._wake()

    # --- knobs ---------------------------------------------------------------------------------

    def fail(self, status: int = 500, description: str | None = None, *, method: str | None = None,
             chat_id: int | str | None = None, times: int | None = 1, retry_after: int | None = None,
             html: bool = False) -> Fault:
        """Answer the next `times` matching calls (None: all until cleared) with this error."""
        fault = Fault(status=status, description=description, method=method, chat_id=chat_id, times=times,
                      retry_after=retry_after, html=html)
        self.faults.append(fault)
        return fault

    def flood(self, retry_after: int = 5, *, method: str | None = "sendMessage", chat_id: int | str | None = None,
              times: int | None = 1) -> Fault:
        """429 with parameters.retry_after, as Telegram's flood control answers (sendMessage unless `method`)."""
        return self.fail(429, f"Too Many Requests: retry after {retry_after}", method=method, chat_id=chat_id,
                         times=times, retry_after=retry_after)

    def server_error(self, status: int = 500, *, method: str | None = None, times: int | None = 1,
                     html: bool = False) -> Fault:
        return self.fail(status, method=method, times=times, html=html)

    def disconnect(self, *, method: str | None = None, times: int | None = 1) -> Fault:
        """Drop the connection without answering (a network failure as the client sees it)."""
        fault = Fault(status=0, method=method, times=times, disconnect=True)
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def block(self, chat_id: int | str) -> None:
        """The user blocked the bot: 403 for every call about that chat."""
        self.blocked.add(_chat_key(chat_id))

    def unblock(self, chat_id: int | str) -> None:
        self.blocked.discard(_chat_key(chat_id))

    def chat_not_found(self, chat_id: int | str) -> None:
        """400 "chat not found" for every call about that chat."""
        self.missing_chats.add(_chat_key(chat_id))

    def restore_chat(self, chat_id: int | str) -> None:
        self.missing_chats.discard(_chat_key(chat_id))

    def revoke_token(self) -> None:
        """Every call answers 401 Unauthorized, as after /revoke in BotFather."""
        self._valid_tokens = set()

    def accept_token(self, token: str | None = None) -> None:
        self._valid_tokens.add(token or self.token)

    def set_latency(self, seconds: float, *, method: str | None = None) -> None:
        """Answer after `seconds` (every method, or one)."""
        self.latency[method.lower() if method else None] = seconds

    # --- updates -------------------------------------------------------------------------------

    def user(self, user_id: int, **fields: Any) -> dict:
        """The User object for `user_id`, created on first use; keyword fields update it."""
        user = self.users.setdefault(int(user_id), {"id": int(user_id), "is_bot": False,
                                                    "first_name": f"User {user_id}", "language_code": "en"})
        user.update({k: v for k, v in fields.items() if v is not None})
        return user

    def chat(self, chat_id: int | str) -> dict:
        key = _chat_key(chat_id)
        if isinstance(key, int) and key > 0:
            user = self.user(key)
            chat = {"id": key, "type": "private", "first_name": user["first_name"]}
            for name in ("last_name", "username"):
                if name in user:
                    chat[name] = user[name]
            return chat
        if isinstance(key, str):
            return {"id": -1001000000000 - len(key), "type": "channel", "title": key, "username": key.lstrip("@")}
        kind = "supergroup" if str(key).startswith("-100") else "group"
        return {"id": key, "type": kind, "title": f"Chat {key}"}

    def push_update(self, update: dict) -> dict:
        """Queue an update (update_id assigned when missing) for getUpdates or the webhook."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self.pushed_at[update["update_id"]] = time.time()
        self._updates.append(update)
        self._wake()
        if self.webhook:
            self._spawn_webhook_delivery(update)
        return update

    def push_message(self, user_id: int, text: str, *, chat_id: int | str | None = None,
                     reply_to_message_id: int | None = None, first_name: str | None = None,
                     last_name: str | None = None, username: str | None = None,
                     language_code: str | None = None, **extra: Any) -> dict:
        """A text message from `user_id` (in their private chat unless `chat_id`); returns the update."""
        user = self.user(user_id, first_name=first_name, last_name=last_name, username=username,
                         language_code=language_code)
        chat_key = _chat_key(chat_id if chat_id is not None else user_id)
        message = {"message_id": self._next_message_id(chat_key), "from": dict(user), "chat": self.chat(chat_key),
                   "date": int(time.time()), "text": text, **extra}
        command = _BOT_COMMAND.match(text)
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command.group(0))}]
        if reply_to_message_id is not None:
            replied = self.chats.get(chat_key, {}).get(reply_to_message_id)
            if replied is not None:
                message["reply_to_message"] = dict(replied)
        self.chats.setdefault(chat_key, {})[message["message_id"]] = message
        return self.push_update({"message": message})

    def push_callback(self, user_id: int, data: str, *, message_id: int | None = None,
                      chat_id: int | str | None = None, **user_fields: Any) -> dict:
        """A button press on a bot message (the latest one in the chat unless `message_id`)."""
        user = self.user(user_id, **user_fields)
        chat_key = _chat_key(chat_id if chat_id is not None else user_id)
        if message_id is None:
            mine = self.sent_messages(chat_key)
            if not mine:
                raise ValueError(f"no bot message in chat {chat_key} to press a button on")
            message = mine[-1]
        else:
            message = self.chats.get(chat_key, {}).get(message_id)
            if message is None:
                raise ValueError(f"no message {message_id} in chat {chat_key}")
        query = {"id": str(next(self._callback_ids)), "from": dict(user), "message": dict(message),
                 "chat_instance": str(abs(hash(("instance", chat_key)))), "data": data}
        self.callback_queries[query["id"]] = query
        return self.push_update({"callback_query": query})

    @property
    def pending_updates(self) -> list[dict]:
        """Updates pushed but not yet confirmed by a later getUpdates offset (or a webhook 2xx)."""
        return list(self._updates)

    # --- reading what happened -----------------------------------------------------------------

    def calls_to(self, method: str, *, chat_id: int | str | None = None, ok: bool | None = None,
                 in_flight: bool = False) -> list[ApiCall]:
        """Calls of one method (case-insensitive), answered ones only unless `in_flight`."""
        method = method.lower()
        key = _chat_key(chat_id)
        return [c for c in self.calls if c.method.lower() == method and (key is None or c.chat_id == key)
                and (ok is None or c.ok == ok) and (in_flight or c.answered_at is not None)]

    def sent_messages(self, chat_id: int | str | None = None) -> list[dict]:
        """Messages the bot sent and has not deleted, oldest first, as they are now (after edits)."""
        key = _chat_key(chat_id)
        chats = [self.chats.get(key, {})] if key is not None else list(self.chats.values())
        bot_id = self.bot_user["id"]
        messages = [m for chat in chats for m in chat.values() if m["from"]["id"] == bot_id]
        return sorted(messages, key=lambda m: (m["date"], m["message_id"])) if key is None else messages

    def texts(self, chat_id: int | str) -> list[str]:
        return [m.get("text", m.get("caption", "")) for m in self.sent_messages(chat_id)]

    def deleted_messages(self, chat_id: int | str) -> list[dict]:
        return list(self.deleted.get(_chat_key(chat_id), []))

    def clear_calls(self) -> None:
        self.calls.clear()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until predicate() is truthy (checked after every call and update); return its value."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            tick = self._tick
            value = predicate()
            if value:
                return value
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"stand-in Bot API: condition not met within {timeout:g} s")
            with suppress(TimeoutError):
                await asyncio.wait_for(tick.wait(), remaining)

    async def wait_for_calls(self, method: str, count: int = 1, *, chat_id: int | str | None = None,
                             in_flight: bool = False, timeout: float = 5.0) -> list[ApiCall]:
        """At least `count` answered calls (or arrived ones, with `in_flight`: a long poll waiting)."""
        return await self.wait_for(
            lambda: (calls if len(calls := self.calls_to(method, chat_id=chat_id, in_flight=in_flight)) >= count
                     else None), timeout)

    async def wait_for_messages(self, chat_id: int | str, count: int = 1, *, timeout: float = 5.0) -> list[dict]:
        return await self.wait_for(
            lambda: (sent if len(sent := self.sent_messages(chat_id)) >= count else None), timeout)

    # --- HTTP ----------------------------------------------------------------------------------

    @property
    def bot_user(self) -> dict:
        prefix = self.token.split(":", 1)[0]
        return {"id": int(prefix) if prefix.isdigit() else 4242424242, "is_bot": True,
                "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME, "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _wake(self) -> None:
        tick, self._tick = self._tick, asyncio.Event()
        tick.set()

    async def _read_params(self, request: web.Request) -> tuple[dict, dict[str, UploadedFile]]:
        params: dict[str, Any] = {k: _decode(k, v) for k, v in request.query.items()}
        files: dict[str, UploadedFile] = {}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
                if not isinstance(body, dict):
                    raise ApiError(400, "Bad Request: the request body must be a JSON object")
                params.update(body)
            else:
                form = await request.post()  # urlencoded and multipart alike
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        files[name] = UploadedFile(value.filename, value.content_type, value.file.read())
                    else:
                        params[name] = _decode(name, value)
        # Resolve attach://<name> to the upload it names; an upload named like the param stays as is.
        resolved: dict[str, UploadedFile] = {}
        for name, value in params.items():
            if isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
                resolved[name] = files[value[9:]]
        for name, upload in files.items():
            if name not in params and not any(v is upload for v in resolved.values()):
                resolved[name] = upload
        return params, resolved

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        token, method = request.match_info["token"], request.match_info["method"]
        call = ApiCall(method=method, params={}, at=time.time(), token=token, http_method=request.method)
        self.calls.append(call)  # visible while in flight (answered_at None), e.g. a waiting long poll
        try:
            try:
                call.params, call.files = await self._read_params(request)
            except ValueError as exc:  # malformed JSON
                raise ApiError(400, "Bad Request: can't parse JSON") from exc
            self._wake()
            delay = self.latency.get(method.lower(), self.latency.get(None, 0.0))
            if delay:
                await asyncio.sleep(delay)
            if token not in self._valid_tokens:
                raise ApiError(401, "Unauthorized")
            fault = next((f for f in self.faults if f.matches(method, call.chat_id)), None)
            if fault is not None:
                fault.hits += 1
                if fault.disconnect:
                    raise _Disconnect
                if fault.html:
                    return self._answer(call, fault.status, None, error=fault.error(), html=True)
                raise fault.error()
            handler = getattr(self, f"_m_{method.lower()}", None)
            if handler is None:
                raise ApiError(404, "Not Found")
            self._check_chat(method, call.chat_id)
            result = handler(call.params, call.files)
            if asyncio.iscoroutine(result):
                result = await result
            return self._answer(call, 200, result)
        except ApiError as exc:
            return self._answer(call, exc.status, None, error=exc)
        except _Disconnect:
            self._record(call, None)
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError from None  # aiohttp drops the connection without an answer

    def _answer(self, call: ApiCall, status: int, result: Any, *, error: ApiError | None = None,
                html: bool = False) -> web.Response:
        call.result = copy.deepcopy(result) if error is None else None  # later edits must not rewrite history
        call.error = error.description if error is not None else None
        self._record(call, status)
        if html:
            name = ERROR_DESCRIPTIONS.get(status, "Error")
            page = f"<html>\r\n<head><title>{status} {name}</title></head>\r\n<body>\r\n<center><h1>{status} {name}" \
                   f"</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
            return web.Response(status=status, text=page, content_type="text/html")
        body = {"ok": True, "result": result} if error is None else error.body()
        return web.Response(status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json")

    def _record(self, call: ApiCall, status: int | None) -> None:
        call.status, call.answered_at = status, time.time()
        for listener in self.listeners:
            listener(call)
        self._wake()

    def _check_chat(self, method: str, chat_id: int | str | None) -> None:
        if chat_id is None or method.lower() in ("getupdates", "getme"):
            return
        if chat_id in self.missing_chats:
            raise ApiError(400, CHAT_NOT_FOUND)
        if chat_id in self.blocked:
            raise ApiError(403, BLOCKED)
        if (self.strict_chats and isinstance(chat_id, int) and chat_id > 0 and chat_id not in self.users):
            raise ApiError(403, CANT_INITIATE)

    # --- control API (another process drives the stand-in) -------------------------------------

    async def _control(self, request: web.Request) -> web.Response:
        action, arg = request.match_info["action"], request.match_info.get("arg")
        body = await request.json() if request.can_read_body else {}
        if action == "updates" and request.method == "POST":
            updates = body if isinstance(body, list) else [body]
            result: Any = [self.push_update(u)["update_id"] for u in updates]
        elif action == "messages" and request.method == "POST":
            result = self.push_message(**body)["update_id"]
        elif action == "callbacks" and request.method == "POST":
            result = self.push_callback(**body)["update_id"]
        elif action == "calls":
            method = request.query.get("method")
            result = [c.as_dict() for c in (self.calls_to(method) if method else self.calls)]
        elif action == "sent":
            result = self.sent_messages(arg)
        elif action == "faults" and request.method == "DELETE":
            self.clear_faults()
            result = True
        elif action == "faults":
            result = asdict(self.fail(**body) if not body.get("disconnect") else
                            self.disconnect(method=body.get("method"), times=body.get("times", 1)))
        elif action in ("block", "unblock", "chat_not_found", "restore_chat") and arg is not None:
            getattr(self, action)(arg)
            result = True
        elif action == "reset":
            self.reset()
            result = True
        else:
            return web.json_response({"ok": False, "description": "unknown control action"}, status=404)
        return web.json_response({"ok": True, "result": result})

    # --- messages ------------------------------------------------------------------------------

    def _next_message_id(self, chat_key: int | str) -> int:
        return next(self._message_ids.setdefault(chat_key, itertools.count(1)))

    def _require_chat(self, params: dict) -> int | str:
        chat_key = _chat_key(params.get("chat_id"))
        if chat_key is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        return chat_key

    def _new_message(self, params: dict, **content: Any) -> dict:
        chat_key = self._require_chat(params)
        message: dict[str, Any] = {"message_id": self._next_message_id(chat_key), "from": self.bot_user,
                                   "chat": self.chat(chat_key), "date": int(time.time()), **content}
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") if isinstance(reply, dict) else None
        reply_to = reply_to or params.get("reply_to_message_id")
        if reply_to:
            replied = self.chats.get(chat_key, {}).get(int(reply_to))
            if replied is not None:
                message["reply_to_message"] = dict(replied)
            elif not (_flag(params.get("allow_sending_without_reply"))
                      or (isinstance(reply, dict) and reply.get("allow_sending_without_reply"))):
                raise ApiError(400, "Bad Request: message to be replied not found")
        markup = _check_markup(params.get("reply_markup"))
        if markup is not None:
            message["reply_markup"] = markup
        self.chats.setdefault(chat_key, {})[message["message_id"]] = message
        return message

    def _m_sendmessage(self, params: dict, files: dict) -> dict:
        self._require_chat(params)
        text = params.get("text")
        if text is None or (isinstance(text, str) and not text.strip()):
            raise ApiError(400, "Bad Request: message text is empty")
        visible = _visible_text(str(text), params.get("parse_mode"))
        if len(visible) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return self._new_message(params, text=visible)

    def _upload(self, params: dict, files: dict, name: str) -> tuple[str, UploadedFile | None]:
        if name in files:
            file_id = f"stand-in-file-{next(self._file_ids)}"
            self.files[file_id] = files[name]
            return file_id, files[name]
        value = params.get(name)
        if not value:
            raise ApiError(400, f"Bad Request: there is no {name} in the request")
        return str(value), self.files.get(str(value))

    def _caption(self, params: dict) -> dict:
        caption = params.get("caption")
        if caption is None:
            return {}
        visible = _visible_text(str(caption), params.get("parse_mode"))
        if len(visible) > MAX_CAPTION:
            raise ApiError(400, "Bad Request: message caption is too long")
        return {"caption": visible}

    def _m_senddocument(self, params: dict, files: dict) -> dict:
        self._require_chat(params)
        file_id, upload = self._upload(params, files, "document")
        document = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if upload is not None:
            document.update(file_name=upload.filename, mime_type=upload.content_type or "application/octet-stream",
                            file_size=upload.size)
        return self._new_message(params, document=document, **self._caption(params))

    def _m_sendphoto(self, params: dict, files: dict) -> dict:
        self._require_chat(params)
        file_id, upload = self._upload(params, files, "photo")
        photo = [{"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 800, "height": 600,
                  "file_size": upload.size if upload else 0}]
        return self._new_message(params, photo=photo, **self._caption(params))

    def _find_message(self, params: dict, missing: str) -> dict | None:
        """The message an edit or delete is about; None for inline messages (answered True)."""
        if params.get("inline_message_id"):
            return None
        chat_key = self._require_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self.chats.get(chat_key, {}).get(int(message_id))
        if message is None:
            raise ApiError(400, f"Bad Request: {missing}")
        return message

    def _edit(self, params: dict, changes: dict) -> dict | bool:
        message = self._find_message(params, "message to edit not found")
        if message is None:
            return True
        if message["from"]["id"] != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        markup = _check_markup(params.get("reply_markup"))
        new = {**message, **changes}
        if markup is not None:
            new["reply_markup"] = markup
        else:
            new.pop("reply_markup", None)
        if all(new.get(k) == message.get(k) for k in ("text", "caption", "reply_markup")):
            raise ApiError(400, NOT_MODIFIED)
        message.clear()
        message.update(new, edit_date=int(time.time()))
        return message

    def _m_editmessagetext(self, params: dict, files: dict) -> dict | bool:
        text = params.get("text")
        if text is None or (isinstance(text, str) and not text.strip()):
            raise ApiError(400, "Bad Request: message text is empty")
        visible = _visible_text(str(text), params.get("parse_mode"))
        if len(visible) > MAX_TEXT:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        target = self._find_message(params, "message to edit not found")
        if target is not None and "text" not in target:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        return self._edit(params, {"text": visible})

    def _m_editmessagecaption(self, params: dict, files: dict) -> dict | bool:
        return self._edit(params, self._caption(params) or {"caption": ""})

    def _m_editmessagereplymarkup(self, params: dict, files: dict) -> dict | bool:
        return self._edit(params, {})

    def _delete(self, chat_key: int | str, message_id: int) -> bool:
        message = self.chats.get(chat_key, {}).pop(int(message_id), None)
        if message is None:
            return False
        self.deleted.setdefault(chat_key, []).append(message)
        return True

    def _m_deletemessage(self, params: dict, files: dict) -> bool:
        chat_key = self._require_chat(params)
        if params.get("message_id") is None or not self._delete(chat_key, params["message_id"]):
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _m_deletemessages(self, params: dict, files: dict) -> bool:
        chat_key = self._require_chat(params)
        for message_id in params.get("message_ids") or []:
            self._delete(chat_key, message_id)
        return True

    def _m_answercallbackquery(self, params: dict, files: dict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self.callback_queries:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        self.answered_callbacks[query_id] = params
        return True

    def _m_sendchataction(self, params: dict, files: dict) -> bool:
        self.chat_actions.append((self._require_chat(params), str(params.get("action"))))
        return True

    def _m_getme(self, params: dict, files: dict) -> dict:
        return self.bot_user

    def _m_getchat(self, params: dict, files: dict) -> dict:
        return self.chat(self._require_chat(params))

    def _m_logout(self, params: dict, files: dict) -> bool:
        return True

    _m_close = _m_logout

    # --- commands ------------------------------------------------------------------------------

    @staticmethod
    def _command_key(params: dict) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _m_setmycommands(self, params: dict, files: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be an array of at most 100 commands")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_NAME.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._command_key(params)] = commands
        return True

    def _m_getmycommands(self, params: dict, files: dict) -> list:
        return self.commands.get(self._command_key(params), [])

    def _m_deletemycommands(self, params: dict, files: dict) -> bool:
        self.commands.pop(self._command_key(params), None)
        return True

    def commands_for(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        return self.commands.get(self._command_key({"scope": scope, "language_code": language_code}), [])

    # --- getUpdates and the webhook ------------------------------------------------------------

    def _confirm(self, offset: int) -> None:
        if offset < 0:
            self._updates = self._updates[offset:]
        else:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]

    def _allowed(self, update: dict) -> bool:
        if not self._allowed_updates:
            return True
        return any(kind in update for kind in self._allowed_updates)

    async def _m_getupdates(self, params: dict, files: dict) -> list:
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                                "to delete the webhook first")
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()  # an older long poll still waiting ends with 409, as on Telegram
        offset = int(params.get("offset") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = max(0.0, min(float(params.get("timeout") or 0), MAX_POLL_TIMEOUT))
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None
        if offset:
            self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one "
                                    "bot instance is running")
            self._updates = [u for u in self._updates if self._allowed(u)]
            batch = self._updates[:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                now = time.time()
                for update in batch:
                    self.fetched_at.setdefault(update["update_id"], now)
                return batch
            tick = self._tick
            with suppress(TimeoutError):
                await asyncio.wait_for(tick.wait(), remaining)

    def _m_setwebhook(self, params: dict, files: dict) -> bool:
        url = params.get("url") or ""
        if not url:
            return self._m_deletewebhook(params, files)
        if not re.match(r"^https?://", url):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        if _flag(params.get("drop_pending_updates")):
            self._updates.clear()
        self.webhook = {"url": url, "secret_token": params.get("secret_token"),
                        "max_connections": int(params.get("max_connections") or 40),
                        "allowed_updates": params.get("allowed_updates")}
        if params.get("allowed_updates") is not None:
            self._allowed_updates = list(params["allowed_updates"]) or None
        self._poll_generation += 1  # a running long poll ends with 409
        self._wake()
        self._webhook_semaphore = asyncio.Semaphore(self.webhook["max_connections"])
        for update in list(self._updates):
            self._spawn_webhook_delivery(update)
        return True

    def _m_deletewebhook(self, params: dict, files: dict) -> bool:
        self.webhook = None
        if _flag(params.get("drop_pending_updates")):
            self._updates.clear()
        return True

    def _m_getwebhookinfo(self, params: dict, files: dict) -> dict:
        info: dict[str, Any] = {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                                "pending_update_count": len(self._updates)}
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
        failures = [d for d in self.webhook_deliveries if not d["ok"]]
        if failures:
            info["last_error_date"] = int(failures[-1]["at"])
            info["last_error_message"] = failures[-1]["error"]
        return info

    def _spawn_webhook_delivery(self, update: dict) -> None:
        task = asyncio.get_running_loop().create_task(self._deliver_webhook(update))
        self._webhook_tasks.add(task)
        task.add_done_callback(self._webhook_tasks.discard)

    async def _deliver_webhook(self, update: dict) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession()
        for attempt in range(1, self.webhook_max_attempts + 1):
            webhook = self.webhook
            if webhook is None or self._closing or update not in self._updates:
                return
            if not self._allowed(update):
                self._updates.remove(update)
                return
            headers = {"Content-Type": "application/json"}
            if webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
            record: dict[str, Any] = {"update_id": update["update_id"], "attempt": attempt, "at": time.time(),
                                      "ok": False, "status": None, "error": None}
            async with self._webhook_semaphore:
                self.fetched_at.setdefault(update["update_id"], time.time())
                try:
                    async with self._http.post(webhook["url"], data=json.dumps(update, ensure_ascii=False),
                                               headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as response:
                        record["status"] = response.status
                        record["ok"] = 200 <= response.status < 300
                        if not record["ok"]:
                            record["error"] = f"Wrong response from the webhook: {response.status}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    record["error"] = f"Connection failed: {type(exc).__name__}"
            self.webhook_deliveries.append(record)
            self._wake()
            if record["ok"]:
                with suppress(ValueError):
                    self._updates.remove(update)
                return
            await asyncio.sleep(self.webhook_retry_delay * attempt)


@asynccontextmanager
async def running_telegram_api(**options: Any):
    """A stand-in Bot API on 127.0.0.1 (a free port unless `port=`); yields the TelegramBotAPI."""
    api = TelegramBotAPI(**options)
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the stand-in Telegram Bot API server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--strict-chats", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)

    async def serve() -> None:
        api = await TelegramBotAPI(token=args.token, host=args.host, port=args.port,
                                   strict_chats=args.strict_chats).start()
        print(f"stand-in Bot API on {api.base_url} (token {api.token})", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await api.stop()

    with suppress(KeyboardInterrupt):
        asyncio.run(serve())


if __name__ == "__main__":
    main()
