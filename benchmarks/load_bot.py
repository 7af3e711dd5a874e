"""The bot's own cost per message, in-process, for `benchmarks/load.py` (prints JSON).

The demo tenant's responder is built the way the server builds it (`responder_from_content`
on content/demo, default model) and called with the same messages the load test sends, each
conversation carrying its dialogue state and last replies forward as the server does. Run it
pinned to the server's core so the ceiling 1 / cost is a one-core number.

    python benchmarks/load_bot.py --messages 600 --conversations 50
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from typing import Any

# What the load test's shoppers say to the bot: in scope, in every demo language, and never a
# request for a person (that would move the conversation off the bot path).
BOT_MESSAGES = (
    "missä mun paketti on 40012345",
    "vad kostar frakten till norge",
    "hvor lang tid tar leveringen",
    "can I pay with klarna",
    "hei",
    "tack så mycket",
    "how do I return a jacket",
    "what are your delivery options",
)
LANGUAGE = "en"


def measure(messages: int, conversations: int, warmup: int) -> dict[str, Any]:
    # Imported here: load.py imports this module's messages without loading botdesk.
    from botdesk.bot import responder as seam
    from botdesk.bot.registry import responder_from_content
    from botdesk.content.loader import load_directory
    from botdesk.demo import DEMO_CONTENT

    Turn = seam.Turn
    started = time.perf_counter()
    responder = responder_from_content(load_directory(DEMO_CONTENT))
    built = time.perf_counter() - started
    tenant = uuid.uuid4()
    ids = [uuid.uuid4() for _ in range(conversations)]
    states: dict[uuid.UUID, dict[str, Any]] = {c: {} for c in ids}
    languages = dict.fromkeys(ids, LANGUAGE)
    costs: list[float] = []
    cpu_costs: list[float] = []  # CPU time: on a shared machine, wall time includes others' work
    for i in range(warmup + messages):
        conversation = ids[i % conversations]
        text = BOT_MESSAGES[(i // conversations + i) % len(BOT_MESSAGES)]
        turn = Turn(
            tenant_id=tenant,
            tenant_slug="demo",
            conversation_id=conversation,
            language=languages[conversation],
            text=text,
            state=states[conversation],
            agents_available=False,  # the bot phase runs before any agent is online
        )
        t, cpu = time.perf_counter(), time.thread_time()
        answer = responder.respond(turn)
        cost, cpu = time.perf_counter() - t, time.thread_time() - cpu
        if i >= warmup:
            costs.append(cost)
            cpu_costs.append(cpu)
        states[conversation] = dict(answer.state)
        languages[conversation] = answer.language
    costs.sort()
    cpu_costs.sort()
    mean = statistics.fmean(cpu_costs)

    def ms(values: list[float], q: float) -> float:
        return round(values[min(len(values) - 1, int(len(values) * q))] * 1000, 3)

    return {
        "model_build_s": round(built, 1),
        "messages": len(costs),
        # The ceiling and the p99 that the targets use are CPU time on one core.
        "mean_ms": round(mean * 1000, 3),
        "p50_ms": ms(cpu_costs, 0.5),
        "p99_ms": ms(cpu_costs, 0.99),
        "max_ms": round(cpu_costs[-1] * 1000, 3),
        "wall_mean_ms": round(statistics.fmean(costs) * 1000, 3),
        "wall_p99_ms": ms(costs, 0.99),
        "ceiling_msgs_per_s": round(1 / mean, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(measure(args.messages, args.conversations, args.warmup)))


if __name__ == "__main__":
    main()
