"""Realtime fan-out: an in-process broker for one node, Redis pub/sub for many.

Delivery is best effort by design. Messages are committed to the database before they are
published and clients resume from the last sequence number they saw, so a lost notification
delays a message but never loses it. That is why `publish` logs and swallows broker errors.

Fan-out within a node is local and by channel: each open socket holds a `Subscription` to the
few channels it needs (its conversation; the tenant's queue only while it waits in it), so an
event reaches exactly the sockets that asked for it. With Redis, a node holds ONE pub/sub
connection per event loop, whatever the number of sockets, and subscribes to a channel in Redis
only while some local socket wants it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Protocol

from botdesk.events import Event

log = logging.getLogger(__name__)
REDIS_RETRY_SECONDS = 1.0


class Subscription:
    """One listener's events; its channels can change while it listens."""

    __slots__ = ("_fanout", "channels", "loop", "queue")

    def __init__(self, fanout: _Fanout, loop: asyncio.AbstractEventLoop) -> None:
        self._fanout = fanout
        self.loop = loop
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.channels: set[str] = set()

    async def listen(self, *channels: str) -> None:
        """Also receive events on these channels (from now on)."""
        await self._fanout.add(self, [c for c in channels if c not in self.channels])

    def ignore(self, *channels: str) -> None:
        self._fanout.remove(self, [c for c in channels if c in self.channels])

    def __aiter__(self) -> AsyncIterator[Event]:
        return self

    async def __anext__(self) -> Event:
        return await self.queue.get()


class _Fanout:
    """Channel → this process's subscriptions; the local half of both brokers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_channel: dict[str, set[Subscription]] = {}

    async def add(self, subscription: Subscription, channels: Sequence[str]) -> None:
        first = []
        with self._lock:
            for channel in channels:
                subscription.channels.add(channel)
                listeners = self._by_channel.setdefault(channel, set())
                if not any(s.loop is subscription.loop for s in listeners):
                    first.append(channel)
                listeners.add(subscription)
        if first:
            await self.first_listener(subscription.loop, first)
        if len(first) < len(channels):
            await self.ready(subscription.loop, [c for c in channels if c not in first])

    def remove(self, subscription: Subscription, channels: Iterable[str]) -> None:
        last = []
        with self._lock:
            for channel in channels:
                subscription.channels.discard(channel)
                listeners = self._by_channel.get(channel)
                if listeners is None:
                    continue
                listeners.discard(subscription)
                if not any(s.loop is subscription.loop for s in listeners):
                    last.append(channel)
                if not listeners:
                    del self._by_channel[channel]
        if last:
            self.last_listener_gone(subscription.loop, last)

    async def first_listener(self, loop: asyncio.AbstractEventLoop, channels: list[str]) -> None:
        """A loop's first subscription to these channels (Redis subscribes here)."""

    async def ready(self, loop: asyncio.AbstractEventLoop, channels: list[str]) -> None:
        """Wait until channels another subscription asked for are live (Redis: confirmed)."""

    def last_listener_gone(self, loop: asyncio.AbstractEventLoop, channels: list[str]) -> None:
        """No subscription of this loop wants these channels any more."""

    def wanted(self, channel: str, loop: asyncio.AbstractEventLoop) -> bool:
        with self._lock:
            return any(s.loop is loop for s in self._by_channel.get(channel, ()))

    def deliver(
        self,
        event: Event,
        loop: asyncio.AbstractEventLoop | None = None,
        channel: str | None = None,
    ) -> None:
        """Hand the event to the subscriptions on its channels (of one loop, if given).

        Redis delivers an event once per channel it was published on, so from there it goes to
        that `channel`'s subscriptions only; published in-process, to each subscriber once.
        """
        channels = event.channels if channel is None else (channel,)
        with self._lock:
            targets = {
                s
                for name in channels
                for s in self._by_channel.get(name, ())
                if loop is None or s.loop is loop
            }
        by_loop: dict[asyncio.AbstractEventLoop, list[Subscription]] = {}
        for subscription in targets:
            by_loop.setdefault(subscription.loop, []).append(subscription)
        for target_loop, subscriptions in by_loop.items():
            if target_loop is loop:
                _put_all(subscriptions, event)
                continue
            try:  # publish may come from any thread: one hop per loop, not per socket
                target_loop.call_soon_threadsafe(_put_all, subscriptions, event)
            except RuntimeError:  # that loop has closed; its subscribers are going away
                continue

    @asynccontextmanager
    async def subscribe(self, channels: Sequence[str]) -> AsyncIterator[Subscription]:
        subscription = Subscription(self, asyncio.get_running_loop())
        try:
            await self.add(subscription, channels)
            yield subscription
        finally:
            self.remove(subscription, list(subscription.channels))


def _put_all(subscriptions: list[Subscription], event: Event) -> None:
    for subscription in subscriptions:
        subscription.queue.put_nowait(event)


class Broker(Protocol):
    def publish(self, event: Event) -> None:
        """Send the event to every subscriber of its channels; never raises."""

    def subscribe(self, channels: Sequence[str]) -> AbstractAsyncContextManager[Subscription]:
        """An async context manager yielding the stream of events on `channels`."""

    def close(self) -> None:
        """Release connections."""


class InProcessBroker(_Fanout):
    """Delivers to asyncio subscribers in this process; publish may come from any thread."""

    def publish(self, event: Event) -> None:
        self.deliver(event)

    def close(self) -> None:
        with self._lock:
            self._by_channel.clear()


class RedisBroker(_Fanout):
    """Redis pub/sub, so every app node sees events committed on any node."""

    def __init__(self, url: str) -> None:
        import redis

        super().__init__()
        self._url = url
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._listeners: dict[asyncio.AbstractEventLoop, _RedisListener] = {}

    def publish(self, event: Event) -> None:
        import redis

        data = event.to_json()
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for channel in event.channels:
                    pipe.publish(channel, data)
                pipe.execute()
        except redis.RedisError as exc:
            log.warning("realtime publish of %s failed: %s", event.type, type(exc).__name__)

    async def first_listener(self, loop: asyncio.AbstractEventLoop, channels: list[str]) -> None:
        for gone in [other for other in self._listeners if other.is_closed()]:
            self._listeners.pop(gone).closed = True  # a stopped server's loop, and connection
        listener = self._listeners.get(loop)
        if listener is None or listener.closed:
            listener = self._listeners[loop] = _RedisListener(self._url, self, loop)
        await listener.subscribe(channels)

    async def ready(self, loop: asyncio.AbstractEventLoop, channels: list[str]) -> None:
        listener = self._listeners.get(loop)
        if listener is not None and not listener.closed:
            await listener.confirmed(channels)

    def last_listener_gone(self, loop: asyncio.AbstractEventLoop, channels: list[str]) -> None:
        listener = self._listeners.get(loop)
        if listener is not None and not listener.closed:
            listener.unsubscribe(channels)

    def ping(self) -> bool:
        import redis

        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        for listener in list(self._listeners.values()):
            listener.close()
        self._listeners.clear()
        self._client.close()


class _RedisListener:
    """One pub/sub connection for one event loop, and the task that reads it."""

    def __init__(self, url: str, fanout: _Fanout, loop: asyncio.AbstractEventLoop) -> None:
        import redis.asyncio as aioredis

        self._client = aioredis.Redis.from_url(url)
        self._pubsub = self._client.pubsub()
        self._fanout = fanout
        self._loop = loop
        self._confirmed: dict[str, asyncio.Event] = {}
        self._task: asyncio.Task[None] | None = None
        self.closed = False

    async def subscribe(self, channels: list[str]) -> None:
        import redis

        waits = [self._confirmed.setdefault(c, asyncio.Event()) for c in channels]
        try:
            await self._pubsub.subscribe(*channels)
        except redis.RedisError as exc:
            log.warning("realtime subscribe failed: %s", type(exc).__name__)
            return
        if self._task is None or self._task.done():
            self._task = self._loop.create_task(self._read())
        await self._wait(waits)

    async def confirmed(self, channels: list[str]) -> None:
        await self._wait([w for c in channels if (w := self._confirmed.get(c)) is not None])

    @staticmethod
    async def _wait(waits: list[asyncio.Event]) -> None:
        # The caller reads its backlog after this: the subscription must be live by then.
        try:
            async with asyncio.timeout(5):
                for wait in waits:
                    await wait.wait()
        except TimeoutError:
            log.warning("realtime subscribe not confirmed in time")

    def unsubscribe(self, channels: list[str]) -> None:
        self._loop.create_task(self._unsubscribe(channels))

    async def _unsubscribe(self, channels: list[str]) -> None:
        import redis

        # Checked again when the command goes out: a socket may have asked for the channel
        # again since, and its SUBSCRIBE may already be on the wire.
        channels = [c for c in channels if not self._fanout.wanted(c, self._loop)]
        if not channels:
            return
        for channel in channels:
            self._confirmed.pop(channel, None)
        if not self._confirmed:
            # Nothing on this loop listens any more (a stopped server, or no socket open
            # under a node without its cache listener): let the connection go too.
            self.closed = True
            await self._shutdown()
            return
        try:
            await self._pubsub.unsubscribe(*channels)
        except redis.RedisError as exc:
            log.warning("realtime unsubscribe failed: %s", type(exc).__name__)

    async def _read(self) -> None:
        import redis

        while not self.closed and self._pubsub.subscribed:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except redis.RedisError as exc:
                log.warning("realtime listener lost Redis: %s", type(exc).__name__)
                await asyncio.sleep(REDIS_RETRY_SECONDS)
                continue
            if message is None:
                continue
            channel = message["channel"].decode()
            if message["type"] == "subscribe" and channel in self._confirmed:
                self._confirmed[channel].set()
            elif message["type"] == "message":
                self._fanout.deliver(Event.from_json(message["data"]), self._loop, channel)

    def close(self) -> None:
        self.closed = True
        if self._task is not None:
            self._task.cancel()
        if not self._loop.is_closed():
            with suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._loop.create_task, self._shutdown())

    async def _shutdown(self) -> None:
        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._client.aclose()


def create_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else InProcessBroker()
