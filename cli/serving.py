"""Run several ASGI apps (and, later, the worker and bot) in one process with one shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable

import uvicorn

from core.logging import get_logger

log = get_logger("steller.serving")


class Service:
    """A named long-running piece of the platform; `stop()` asks it to finish in-flight work."""

    def __init__(self, name: str, run: Callable[[], Awaitable[None]], stop: Callable[[], None]):
        self.name, self.run, self.stop = name, run, stop


def asgi_service(name: str, app, *, host: str, port: int) -> Service:
    from core.config import get_settings

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", access_log=False,
                            proxy_headers=True, forwarded_allow_ips=get_settings().forwarded_allow_ips)
    server = uvicorn.Server(config)

    async def run() -> None:
        # Signals are handled once for the whole process (see serve_all), not per server.
        await server._serve()

    def stop() -> None:
        server.should_exit = True

    return Service(name, run, stop)


def worker_service(*, manage_db: bool) -> Service:
    """The arq worker as one part of `steller up`; stopping it cancels what runs (jobs are idempotent)."""
    from arq.worker import create_worker

    from jobs.worker import WorkerSettings

    worker = create_worker(WorkerSettings, handle_signals=False, ctx={"manage_db": manage_db})

    async def run() -> None:
        try:
            await worker.async_run()
        except asyncio.CancelledError:
            pass
        finally:
            await worker.close()

    def stop() -> None:
        worker.handle_sig(signal.SIGTERM)

    return Service("worker", run, stop)


def bot_service() -> Service:
    """The Telegram bot, polling, as one part of `steller up` (webhook mode runs inside the API instead)."""
    from bot.app import BotRuntime

    runtime = BotRuntime()
    stopping: list[asyncio.Task] = []

    async def run() -> None:
        await runtime.start()
        try:
            await runtime.run_polling()
        finally:
            await runtime.close()

    def stop() -> None:
        stopping.append(asyncio.get_running_loop().create_task(runtime.stop_polling()))

    return Service("bot", run, stop)


async def serve_all(services: list[Service]) -> None:
    loop = asyncio.get_running_loop()

    def shutdown() -> None:
        log.info("shutdown_requested")
        for service in services:
            service.stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, shutdown)
    tasks = {asyncio.create_task(s.run(), name=s.name): s for s in services}
    for service in services:
        log.info("service_started", service=service.name)
    done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    # One part ending (crash or stop) takes the others down cleanly.
    shutdown()
    await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        if task.exception():
            raise task.exception()
