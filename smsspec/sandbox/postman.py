"""Posting receipts in the background: the sandbox's answers never wait for them.

A :class:`ReceiptPoster` runs its own thread and event loop and posts each
message's notifications, in order, once their delay has passed, at most
:data:`CONCURRENCY` messages at a time. A post that gets no 2xx answer (the
receiver is down, slow or refuses) is tried again after :data:`RETRY_PAUSE`
seconds, :data:`ATTEMPTS` times in all, then given up and counted; answers
are never read beyond their status line. At most :data:`LIMIT` messages wait
at once; more are dropped and counted, so a receiver that is down for long
cannot make the sandbox grow without bound.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Sequence

import httpx

from smsspec.sandbox.providers.base import Notification

CONCURRENCY = 4
ATTEMPTS = 3
RETRY_PAUSE = 0.5
TIMEOUT = httpx.Timeout(10.0, connect=2.0)
"""A provider's pages give a receiver 10 seconds to answer."""
LIMIT = 10_000
USER_AGENT = "smsspec-sandbox"


class ReceiptPoster:
    def __init__(self, *, limit: int = LIMIT, attempts: int = ATTEMPTS, retry_pause: float = RETRY_PAUSE) -> None:
        self._limit = limit
        self._attempts = attempts
        self._retry_pause = retry_pause
        self._outstanding = 0
        self._counts: Counter[str] = Counter()
        self._idle = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()

    # lifecycle

    def start(self) -> None:
        if self._thread is not None:
            return
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name="smsspec-receipts", daemon=True)
        self._thread.start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._client = httpx.AsyncClient(timeout=TIMEOUT, headers={"User-Agent": USER_AGENT}, trust_env=False)
        self._slots = asyncio.Semaphore(CONCURRENCY)
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        """Stop posting; what has not gone out yet is dropped. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            future.result(5.0)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(5.0)
            self._loop = self._thread = None
            with self._idle:
                self._outstanding = 0
                self._idle.notify_all()

    async def _shutdown(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    # work

    def post_later(self, url: str, notifications: Sequence[Notification], delay: float) -> bool:
        """Post ``notifications`` to ``url``, in order, ``delay`` seconds from now; False when dropped."""
        loop = self._loop
        if loop is None or not notifications:
            return False
        with self._idle:
            if self._outstanding >= self._limit:
                self._counts["dropped"] += 1
                return False
            self._outstanding += 1
            self._counts["scheduled"] += len(notifications)
        loop.call_soon_threadsafe(self._schedule, url, tuple(notifications), delay)
        return True

    def _schedule(self, url: str, notifications: tuple[Notification, ...], delay: float) -> None:
        assert self._loop is not None
        timer: asyncio.TimerHandle | None = None

        def begin() -> None:
            if timer is not None:
                self._timers.discard(timer)
            task = asyncio.ensure_future(self._deliver(url, notifications))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        timer = self._loop.call_later(max(delay, 0.0), begin)
        self._timers.add(timer)

    async def _deliver(self, url: str, notifications: tuple[Notification, ...]) -> None:
        assert self._slots is not None
        try:
            async with self._slots:
                for note in notifications:
                    done = await self._post(url, note)
                    with self._idle:
                        self._counts["posted" if done else "failed"] += 1
        finally:
            with self._idle:
                self._outstanding -= 1
                self._idle.notify_all()

    async def _post(self, url: str, note: Notification) -> bool:
        assert self._client is not None
        for attempt in range(self._attempts):
            if attempt:
                await asyncio.sleep(self._retry_pause)
            try:
                request = self._client.build_request(
                    "POST", url, content=note.body, headers={"Content-Type": note.content_type}
                )
                response = await self._client.send(request, stream=True)
                await response.aclose()
            except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError):
                continue
            if 200 <= response.status_code < 300:
                return True
        return False

    # what happened

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every scheduled receipt was posted or given up; False if ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._outstanding == 0, timeout)

    @property
    def outstanding(self) -> int:
        """Messages whose receipts have not all been posted or given up."""
        with self._idle:
            return self._outstanding

    def stats(self) -> dict[str, int]:
        """``scheduled``, ``posted`` and ``failed`` notifications, ``dropped`` messages, ``outstanding``."""
        with self._idle:
            counts = {name: self._counts[name] for name in ("scheduled", "posted", "failed", "dropped")}
            return {**counts, "outstanding": self._outstanding}
