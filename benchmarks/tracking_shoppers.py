"""The shoppers of `benchmarks/tracking.py`: what they ask, how they ask it, what they were told.

Each shopper is a conversation with the demo tenant's bot over one keep-alive HTTP/1.1
connection of `loadgen.py` (pre-built requests, no client library in the hot path, so the
generator costs its shared core little). A run drives shoppers in one of two ways:

- `closed`: each shopper asks again as soon as they have their answer (a path's maximum);
- `paced`: question i is due at start + i / rate and is asked by whichever shopper is free;
  its latency counts from when it was due, so a stalled server cannot hide its stall.
Every answer is checked against what the bot should have said.
"""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import loadgen
import yaml

from botdesk.demo_merchant import DEMO_ORDERS, STATES

LANGUAGE = "en"
ORDER_TRACK = Path(__file__).resolve().parent.parent / "content/demo/intents/track_order.yaml"
# Questions the demo bot answers from its content alone, and a piece of each right answer.
NORMAL = (
    ("how much does delivery cost to Finland", "4.90 €"),
    ("what are your delivery options", "We deliver to"),
    ("can I pay with klarna", "Visa or Mastercard"),
    ("how do I return a jacket", "free within 30 days"),
    ("how long does delivery take to Sweden", "working days** with PostNord"),
    ("do you have a size guide", "(/size-guide)"),
)


@dataclass(frozen=True)
class Question:
    kind: str  # "normal" or "tracking"
    text: str
    expect: str  # a reply containing this is right
    unavailable: str = ""  # the "can't check the status right now" answer for this order


def tracking_questions() -> list[Question]:
    """Each demo order with its email, and the first paragraph of the answer its state gets."""
    outcomes = yaml.safe_load(ORDER_TRACK.read_text())["flow"]["outcomes"]

    def said(outcome: str, number: str) -> str:
        text: str = outcomes[outcome]["text"][LANGUAGE]
        return text.split("\n\n")[0].replace("{reference}", number)

    return [
        Question(
            "tracking",
            f"where is my order {spec.number} {spec.email}",
            said(STATES[spec.status], spec.number),
            said("unavailable", spec.number),
        )
        for spec in DEMO_ORDERS
    ]


NORMAL_QUESTIONS = [Question("normal", text, expect) for text, expect in NORMAL]
TRACKING_QUESTIONS = tracking_questions()


@dataclass
class Conversation:
    id: str
    token: str


@dataclass
class Shopper:
    """One shopper's conversation and where they are in it (plain data: no connection)."""

    kind: str
    conversation: Conversation
    offset: int
    turn: int = 0

    def question(self) -> Question:
        asked = NORMAL_QUESTIONS if self.kind == "normal" else TRACKING_QUESTIONS
        return asked[(self.offset + self.turn) % len(asked)]

    def answered(self, outcome: str) -> bool:
        """Move on; True when a tracking shopper has asked about every order in this chat.

        botdesk caches a merchant's answer per conversation and order for 5 minutes, so a
        tracking shopper asks about each order once per conversation, then starts another.
        An order that could not be checked is asked about again (that answer is not cached).
        """
        if self.kind == "normal" or outcome == "right":
            self.turn += 1
        return self.kind == "tracking" and self.turn >= len(TRACKING_QUESTIONS)


@dataclass
class Sample:
    kind: str
    at: float  # due (paced) or sent (closed loop), seconds from the run's start
    latency: float
    outcome: str  # right, unavailable, wrong, http NNN, timeout, error
    reply: str = ""


def classify(question: Question, status: int, body: bytes) -> tuple[str, str]:
    if status != 201:
        return f"http {status}", ""
    try:
        text = "\n".join(m["text"] for m in json.loads(body)["replies"])
    except (ValueError, KeyError, TypeError):
        return "bad json", ""
    if question.expect in text:
        return "right", text
    if question.unavailable and question.unavailable in text:
        return "unavailable", text
    return "wrong", text


def _headers(origin: str, token: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Origin": origin}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def start_request(origin: str) -> bytes:
    body = json.dumps({"language": LANGUAGE}).encode()
    return loadgen.http_request(
        "POST", "/api/v1/tenants/demo/conversations", body, _headers(origin)
    )


def message_request(origin: str, conversation: Conversation, text: str) -> bytes:
    path = f"/api/v1/conversations/{conversation.id}/messages"
    body = json.dumps({"text": text}).encode()
    return loadgen.http_request("POST", path, body, _headers(origin, conversation.token))


def conversation_of(status: int, body: bytes) -> Conversation | None:
    if status != 201:
        return None
    data = json.loads(body)
    return Conversation(data["conversation"]["id"], data["visitor_token"])


class Client:
    """One shopper's keep-alive connection, opened again whenever it was closed."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port, self.timeout = port, timeout
        self.conn: loadgen.Conn | None = None

    async def request(self, data: bytes) -> tuple[int, bytes]:
        try:
            if self.conn is None or self.conn.closed:
                self.conn = await asyncio.wait_for(loadgen.connect_http(self.port), self.timeout)
            return await asyncio.wait_for(self.conn.send(data), self.timeout)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Reservoir:
    """Conversations started before a run, so that a run measures messages, not starts."""

    port: int
    origin: str
    ready: collections.deque[Conversation] = field(default_factory=collections.deque)
    started_during_runs: int = 0

    async def fill(self, count: int, concurrency: int = 16) -> None:
        requests = [start_request(self.origin)] * count
        result, answers = await loadgen.requests_with_concurrency(
            self.port, requests, concurrency, 30.0
        )
        for status, body in answers:
            if (conversation := conversation_of(status, body)) is not None:
                self.ready.append(conversation)
        if result.summary()["ok"] < count:
            raise RuntimeError(f"conversation starts failed: {result.summary()}")

    async def take(self, client: Client) -> Conversation:
        if self.ready:
            return self.ready.popleft()
        self.started_during_runs += 1
        conversation = conversation_of(*await client.request(start_request(self.origin)))
        if conversation is None:
            raise RuntimeError("a conversation could not be started")
        return conversation


class Run:
    """Shoppers asking questions for one phase (one event loop); collects the samples."""

    def __init__(self, port: int, origin: str, reservoir: Reservoir, timeout: float) -> None:
        self.port, self.origin, self.reservoir, self.timeout = port, origin, reservoir, timeout
        self.samples: list[Sample] = []
        self.start = 0.0

    async def ask(self, shopper: Shopper, client: Client, due: float) -> None:
        loop = asyncio.get_running_loop()
        question = shopper.question()
        request = message_request(self.origin, shopper.conversation, question.text)
        reply = ""
        try:
            outcome, reply = classify(question, *await client.request(request))
        except TimeoutError:
            outcome = "timeout"
        except (OSError, ConnectionError):
            outcome = "error"
        self.samples.append(
            Sample(shopper.kind, due - self.start, loop.time() - due, outcome, reply)
        )
        if shopper.answered(outcome):
            shopper.conversation = await self.reservoir.take(client)
            shopper.turn = 0

    async def closed(
        self,
        shoppers: list[Shopper],
        duration: float,
        *,
        spread: float = 0.0,
        stop_asking: float | None = None,
    ) -> None:
        """Each shopper asks again as soon as they have their answer.

        Shopper i of n asks first at i / n * `spread` seconds (0: all at once) and asks nothing
        after `stop_asking` seconds (default: `duration`).
        """
        loop = asyncio.get_running_loop()
        last = self.start + (duration if stop_asking is None else stop_asking)

        async def shop(i: int, shopper: Shopper) -> None:
            await asyncio.sleep(max(0.0, self.start + i / len(shoppers) * spread - loop.time()))
            client = Client(self.port, self.timeout)
            while loop.time() < last:
                await self.ask(shopper, client, loop.time())
            client.close()

        await asyncio.gather(*(shop(i, s) for i, s in enumerate(shoppers)))

    async def paced(self, shoppers: list[Shopper], rate: float, duration: float) -> None:
        """Question i is due at start + i / rate, asked by whichever shopper is free."""
        loop = asyncio.get_running_loop()
        idle = collections.deque((s, Client(self.port, self.timeout)) for s in shoppers)
        backlog: collections.deque[float] = collections.deque()
        running: set[asyncio.Task[None]] = set()

        def launch(pair: tuple[Shopper, Client], due: float) -> None:
            task = loop.create_task(one(pair, due))
            running.add(task)
            task.add_done_callback(running.discard)

        async def one(pair: tuple[Shopper, Client], due: float) -> None:
            await self.ask(*pair, due)
            if backlog:
                launch(pair, backlog.popleft())
            else:
                idle.append(pair)

        for i in range(int(rate * duration)):
            due = self.start + i / rate
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            if idle:
                launch(idle.popleft(), due)
            else:
                backlog.append(due)
        while running:
            await asyncio.wait(set(running))
        for _shopper, client in idle:
            client.close()

    async def together(self, *runs: Coroutine[Any, Any, None]) -> list[Sample]:
        self.start = asyncio.get_running_loop().time() + 0.05
        await asyncio.sleep(0.05)
        await asyncio.gather(*runs)
        return self.samples


def timeline(samples: list[Sample], duration: float) -> list[dict[str, Any]]:
    """Per second of the run (by when a question was due): normal questions' worst latency
    and how many tracking questions were asked and answered."""
    seconds = []
    for second in range(int(duration + 0.999)):
        due = [s for s in samples if second <= s.at < second + 1]
        normal = [s.latency for s in due if s.kind == "normal"]
        answered = [
            s for s in samples if s.kind == "tracking" and second <= s.at + s.latency < second + 1
        ]
        seconds.append(
            {
                "s": second,
                "normal": len(normal),
                "normal_max_ms": round(max(normal) * 1000, 1) if normal else None,
                "tracking_asked": sum(1 for s in due if s.kind == "tracking"),
                "tracking_answered": len(answered),
            }
        )
    return seconds


def summarise(samples: list[Sample], kind: str, duration: float) -> dict[str, Any] | None:
    mine = [s for s in samples if s.kind == kind]
    if not mine:
        return None
    outcomes = collections.Counter(s.outcome for s in mine)
    answered = sorted(s.latency for s in mine if s.outcome in ("right", "unavailable", "wrong"))
    in_window = sum(
        1 for s in mine if s.outcome in ("right", "unavailable") and s.at + s.latency <= duration
    )
    wrong = [s.reply[:160] for s in mine if s.outcome == "wrong"][:3]
    return {
        "asked": len(mine),
        "outcomes": dict(outcomes.most_common()),
        "answered_per_s": round(in_window / duration, 1),
        "p50_ms": _pct(answered, 0.50),
        "p95_ms": _pct(answered, 0.95),
        "p99_ms": _pct(answered, 0.99),
        "max_ms": round(answered[-1] * 1000, 1) if answered else None,
        "min_ms": round(answered[0] * 1000, 1) if answered else None,
        "wrong_replies": wrong,
    }


def _pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of sorted seconds, in milliseconds."""
    if not values:
        return None
    index = min(len(values) - 1, max(0, round(q * len(values) + 0.5) - 1))
    return round(values[index] * 1000, 2)
