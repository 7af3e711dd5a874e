"""Realtime events: published only after commit, delivered in-process and through Redis."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid

import httpx
import pytest

from botdesk.broker import Broker, InProcessBroker, RedisBroker
from botdesk.db import publish_after_commit
from botdesk.events import (
    Event,
    EventType,
    conversation_channel,
    message_created,
    queue_changed,
    queue_channel,
)
from botdesk.runtime import Runtime
from tests.conftest import Personas, start_chat
from tests.waits import wait_until

REDIS_URL = os.environ.get("BOTDESK_TEST_REDIS_URL")
BROKERS = ["inprocess"] + (["redis"] if REDIS_URL else [])


def _broker(kind: str) -> Broker:
    return RedisBroker(REDIS_URL or "") if kind == "redis" else InProcessBroker()


def _subscribed(broker: Broker, channel: str) -> bool:
    """Whether the broker has a subscriber on the channel (Redis: the SUBSCRIBE has landed)."""
    if not isinstance(broker, RedisBroker):
        return True  # in-process subscriptions are in place once subscribe() has entered
    import redis

    with redis.Redis.from_url(REDIS_URL or "") as client:
        return bool(client.pubsub_numsub(channel)[0][1])


async def _collect(broker: Broker, channel: str, publish: object, count: int) -> list[Event]:
    async with broker.subscribe([channel]) as events:
        # Redis: publishing before the server has registered the SUBSCRIBE would lose the event.
        await asyncio.to_thread(wait_until, lambda: _subscribed(broker, channel), 5, "SUBSCRIBE")
        await asyncio.to_thread(publish)  # type: ignore[arg-type]
        received = []
        async with asyncio.timeout(5):
            async for event in events:
                received.append(event)
                if len(received) == count:
                    break
        return received


@pytest.mark.parametrize("kind", BROKERS)
def test_subscribers_receive_events_on_their_channels(kind: str) -> None:
    broker = _broker(kind)
    tenant, mine, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def publish() -> None:
        broker.publish(message_created(tenant, other, 1, "visitor"))
        broker.publish(message_created(tenant, mine, 7, "bot"))

    received = asyncio.run(_collect(broker, conversation_channel(mine), publish, 1))
    assert received == [message_created(tenant, mine, 7, "bot")]
    broker.close()


def test_redis_outage_does_not_fail_the_publisher() -> None:
    broker = RedisBroker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    broker.publish(message_created(uuid.uuid4(), uuid.uuid4(), 1, "visitor"))
    assert broker.ping() is False


def test_events_are_published_after_commit_and_dropped_on_rollback(runtime: Runtime) -> None:
    published: list[Event] = []
    original = runtime.db.broker.publish
    runtime.db.broker.publish = published.append  # type: ignore[method-assign]
    try:
        event = Event(EventType.CONVERSATION_ERASED, uuid.uuid4(), uuid.uuid4(), {})
        with pytest.raises(RuntimeError), runtime.db.session() as session:
            publish_after_commit(session, event)
            raise RuntimeError("abort the unit of work")
        assert published == []
        with runtime.db.session() as session:
            publish_after_commit(session, event)
            assert published == []  # not before the commit
        assert published == [event]
    finally:
        runtime.db.broker.publish = original  # type: ignore[method-assign]


def test_a_visitor_message_announces_itself_without_its_text(
    api: httpx.Client, personas: Personas, runtime: Runtime
) -> None:
    chat = start_chat(api, "acme", "en")
    channel = conversation_channel(uuid.UUID(chat.id))
    received = asyncio.run(
        _collect(runtime.db.broker, channel, lambda: chat.send("secret-canary hello"), 2)
    )
    assert [(e.type, e.payload) for e in received] == [
        (EventType.MESSAGE_CREATED, {"seq": 1, "sender": "visitor"}),
        (EventType.MESSAGE_CREATED, {"seq": 2, "sender": "bot"}),
    ]
    assert all("secret-canary" not in e.to_json() for e in received)


@pytest.mark.skipif(not REDIS_URL, reason="needs BOTDESK_TEST_REDIS_URL")
def test_a_node_holds_one_redis_connection_however_many_listen() -> None:
    """Many sockets on one node share one pub/sub connection (Redis has a client limit)."""
    import redis

    admin = redis.Redis.from_url(REDIS_URL or "")
    broker = RedisBroker(REDIS_URL or "")
    tenant = uuid.uuid4()
    conversations = [uuid.uuid4() for _ in range(50)]

    async def listen_all() -> tuple[int, list[Event]]:
        async with contextlib.AsyncExitStack() as stack:
            subscriptions = [
                await stack.enter_async_context(broker.subscribe([conversation_channel(c)]))
                for c in conversations
            ]
            connections = len(admin.client_list(_type="pubsub"))
            await asyncio.to_thread(
                broker.publish, message_created(tenant, conversations[7], 3, "bot")
            )
            async with asyncio.timeout(5):
                got = await subscriptions[7].__anext__()
            # Only the socket that asked for that conversation hears it.
            others = [s for i, s in enumerate(subscriptions) if i != 7 and not s.queue.empty()]
            assert others == []
            return connections, [got]

    before = len(admin.client_list(_type="pubsub"))
    connections, got = asyncio.run(listen_all())
    assert connections - before == 1
    assert got == [message_created(tenant, conversations[7], 3, "bot")]
    broker.close()
    admin.close()


def test_channels_can_be_joined_and_left_while_listening() -> None:
    """A widget joins the queue's channel only while it waits in the queue."""
    broker = InProcessBroker()
    tenant, conversation = uuid.uuid4(), uuid.uuid4()
    queue = queue_channel(tenant)

    async def scenario() -> list[EventType]:
        async with broker.subscribe([conversation_channel(conversation)]) as events:
            broker.publish(queue_changed(tenant, uuid.uuid4()))  # not waiting: not heard
            await events.listen(queue)
            broker.publish(queue_changed(tenant, uuid.uuid4()))
            events.ignore(queue)
            broker.publish(queue_changed(tenant, uuid.uuid4()))
            broker.publish(message_created(tenant, conversation, 1, "visitor"))
            heard = []
            async with asyncio.timeout(5):
                async for event in events:
                    heard.append(event.type)
                    if event.type is EventType.MESSAGE_CREATED:
                        return heard
            return heard

    assert asyncio.run(scenario()) == [EventType.QUEUE_CHANGED, EventType.MESSAGE_CREATED]
