"""Run several parts of the platform (ASGI apps, the worker, the bot) in one process with one shutdown.

Shutdown (SIGTERM, or Ctrl-C): the fronts (API, bot) stop taking new work and the worker stops
picking jobs; in-flight HTTP requests and running jobs finish (each bounded: uvicorn's
`GRACEFUL_SECONDS`, arq's `job_completion_wait`); then the dependencies (the Bamboo simulator) stop,
so a job finishing its vendor call still finds them. The process then exits 0. A second signal
forces the stop (requests and jobs still running are cancelled; jobs are idempotent).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from core.logging import get_logger

log = get_logger("steller.serving")

# In-flight requests get this long after a stop request; the worker's running jobs get
# WorkerSettings.job_completion_wait. Beyond STOP_TIMEOUT_SECONDS a part is forced to stop.
GRACEFUL_SECONDS = 30
STOP_TIMEOUT_SECONDS = 40.0
FORCED_STOP_SECONDS = 5.0


class Service:
    """A named long-running piece of the platform; `stop()` asks it to finish in-flight work.

    `ready()` (optional) returns once it serves; `force()` (optional) drops in-flight work now;
    a `dependency` (the simulator) starts before the others and stops after them.
    """

    def __init__(self, name: str, run: Callable[[], Awaitable[None]], stop: Callable[[], None], *,
                 ready: Callable[[], Awaitable[None]] | None = None, force: Callable[[], None] | None = None,
                 dependency: bool = False):
        self.name, self.run, self.stop = name, run, stop
        self.ready, self.force, self.dependency = ready, force, dependency


class Lifecycle:
    """SIGINT/SIGTERM for the whole process: the first asks for a clean stop, the second forces it."""

    def __init__(self) -> None:
        self.stopping = asyncio.Event()
        self.signals = 0
        self.on_force: list[Callable[[], None]] = []

    def install(self) -> Lifecycle:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.signal, sig)
        return self

    def signal(self, sig: signal.Signals) -> None:
        self.signals += 1
        if self.signals == 1:
            log.info("shutdown_requested", signal=signal.Signals(sig).name)
            self.stopping.set()
        else:
            log.warning("shutdown_forced", signal=signal.Signals(sig).name)
            for force in list(self.on_force):
                force()

    @property
    def stop_requested(self) -> bool:
        return self.stopping.is_set()

    async def unless_stopped(self, awaitable: Awaitable[Any], *, watch: set[asyncio.Task] | None = None) -> bool:
        """Run `awaitable` unless a stop is requested (or one of `watch` ends) first: then cancel it.

        True when it ran to the end; its exception propagates."""
        task = asyncio.ensure_future(awaitable)
        stop = asyncio.ensure_future(self.stopping.wait())
        try:
            done, _ = await asyncio.wait({task, stop, *(watch or ())}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if task in done:
            task.result()
            return True
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        return False


def asgi_service(name: str, app, *, host: str, port: int, dependency: bool = False) -> Service:
    from core.config import get_settings

    # log_config=None: uvicorn's lines go through our logging (core.logging), not its own handlers.
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", log_config=None, lifespan="on",
                            access_log=False, proxy_headers=True,
                            forwarded_allow_ips=get_settings().forwarded_allow_ips,
                            timeout_graceful_shutdown=GRACEFUL_SECONDS)
    server = uvicorn.Server(config)

    async def run() -> None:
        # Signals are handled once for the whole process (see serve_all), not per server.
        await server._serve()

    async def ready() -> None:
        while not server.started:
            await asyncio.sleep(0.05)

    def stop() -> None:
        server.should_exit = True

    def force() -> None:
        server.should_exit = server.force_exit = True

    return Service(name, run, stop, ready=ready, force=force, dependency=dependency)


def worker_service(*, manage_db: bool) -> Service:
    """The arq worker as one part of `steller up`: on stop it picks no new job and lets the running ones
    finish (up to WorkerSettings.job_completion_wait), then cancels what is left (jobs are idempotent)."""
    from arq.worker import create_worker

    from jobs.worker import WorkerSettings

    worker = create_worker(WorkerSettings, handle_signals=False, ctx={"manage_db": manage_db})
    stopping: list[bool] = []

    async def run() -> None:
        try:
            await worker.async_run()
        except asyncio.CancelledError:
            pass
        finally:
            await worker.close()

    def stop() -> None:
        if not stopping:
            stopping.append(True)
            worker.handle_sig_wait_for_completion(signal.SIGTERM)

    def force() -> None:
        worker.handle_sig(signal.SIGINT)

    return Service("worker", run, stop, force=force)


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


async def serve_all(services: list[Service], *, lifecycle: Lifecycle | None = None,
                    prepare: Callable[[], Awaitable[None]] | None = None,
                    started: Callable[[], Awaitable[None]] | None = None) -> None:
    """Run until SIGINT/SIGTERM (or until one part ends), then stop everything cleanly.

    Order: dependencies start and become ready, then `prepare()` (e.g. the first catalog sync), then
    the other parts, then `started()` (e.g. printing what to try). A stop request at any point
    cancels what is pending and goes straight to the clean stop.
    """
    lifecycle = lifecycle or Lifecycle().install()
    dependencies = [s for s in services if s.dependency]
    fronts = [s for s in services if not s.dependency]
    running: dict[asyncio.Task, Service] = {}

    def force_all() -> None:
        for service in running.values():
            if service.force is not None:
                service.force()

    lifecycle.on_force.append(force_all)

    def start(group: list[Service]) -> None:
        for service in group:
            running[asyncio.create_task(service.run(), name=service.name)] = service
            log.info("service_started", service=service.name)

    async def ready(group: list[Service]) -> bool:
        for service in group:
            if service.ready is not None and not await lifecycle.unless_stopped(service.ready(), watch=set(running)):
                return False
        return True

    try:
        start(dependencies)
        if await ready(dependencies) and (prepare is None or await lifecycle.unless_stopped(prepare(), watch=set(running))):
            start(fronts)
            if await ready(fronts) and (started is None or await lifecycle.unless_stopped(started(), watch=set(running))):
                stop_wait = asyncio.ensure_future(lifecycle.stopping.wait())
                # One part ending (crash or stop) takes the others down cleanly.
                await asyncio.wait({*running, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
                stop_wait.cancel()
    finally:
        await _stop(fronts, running)
        await _stop(dependencies, running)
        lifecycle.on_force.remove(force_all)
    for task, service in running.items():
        if not task.cancelled() and task.exception() is not None:
            log.error("service_failed", service=service.name, error_type=type(task.exception()).__name__)
            raise task.exception()
    log.info("shutdown_complete")


async def _stop(group: list[Service], running: dict[asyncio.Task, Service]) -> None:
    tasks = [t for t, s in running.items() if s in group]
    for task in tasks:
        if not task.done():
            running[task].stop()
    if not tasks:
        return
    _done, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT_SECONDS)
    if pending:
        log.warning("service_stop_timeout", services=sorted(running[t].name for t in pending))
        for task in pending:
            if running[task].force is not None:
                running[task].force()
        _done, pending = await asyncio.wait(pending, timeout=FORCED_STOP_SECONDS)
        for task in pending:
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
