"""Realtime fan-out: an in-process broker for one node, Redis pub/sub for many.

Delivery is best effort by design. Messages are committed to the database before they are
published and clients resume from the last sequence number they saw, so a lost notification
delays a message but never loses it. That is why `publish` logs and swallows broker errors.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from botdesk.events import Event

log = logging.getLogger(__name__)


class Broker(Protocol):
    def publish(self, event: Event) -> None:
        """Send the event to every subscriber of its channels; never raises."""

    def subscribe(
        self, channels: Sequence[str]
    ) -> AbstractAsyncContextManager[AsyncIterator[Event]]:
        """An async context manager yielding the stream of events on `channels`."""

    def close(self) -> None:
        """Release connections."""


class InProcessBroker:
    """Delivers to asyncio subscribers in this process; publish may come from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Event]]]]
        self._subscribers = {}

    def publish(self, event: Event) -> None:
        with self._lock:
            targets = {
                sub for channel in event.channels for sub in self._subscribers.get(channel, ())
            }
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, event)
            except RuntimeError:  # the subscriber's loop has closed; it is going away
                continue

    @asynccontextmanager
    async def subscribe(self, channels: Sequence[str]) -> AsyncIterator[AsyncIterator[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        entry = (asyncio.get_running_loop(), queue)
        with self._lock:
            for channel in channels:
                self._subscribers.setdefault(channel, set()).add(entry)
        try:
            yield _drain(queue)
        finally:
            with self._lock:
                for channel in channels:
                    subscribers = self._subscribers.get(channel)
                    if subscribers is not None:
                        subscribers.discard(entry)
                        if not subscribers:
                            del self._subscribers[channel]

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()


async def _drain(queue: asyncio.Queue[Event]) -> AsyncIterator[Event]:
    while True:
        yield await queue.get()


class RedisBroker:
    """Redis pub/sub, so every app node sees events committed on any node."""

    def __init__(self, url: str) -> None:
        import redis

        self._url = url
        self._client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)

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

    @asynccontextmanager
    async def subscribe(self, channels: Sequence[str]) -> AsyncIterator[AsyncIterator[Event]]:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self._url)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(*channels)
        try:
            yield _redis_events(pubsub)
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            await client.aclose()

    def ping(self) -> bool:
        import redis

        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        self._client.close()


async def _redis_events(pubsub: object) -> AsyncIterator[Event]:
    from redis.asyncio.client import PubSub

    assert isinstance(pubsub, PubSub)
    async for message in pubsub.listen():
        if message.get("type") == "message":
            yield Event.from_json(message["data"])


def create_broker(redis_url: str | None) -> Broker:
    return RedisBroker(redis_url) if redis_url else InProcessBroker()
