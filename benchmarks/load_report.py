"""The markdown report of `benchmarks/load.py`: tables, the #10 targets (met or not), ratios."""

from __future__ import annotations

import collections
import re
from collections.abc import Callable
from typing import Any

NA = "-"
KINDS = (("sqlite", "SQLite"), ("postgres", "PostgreSQL + Redis"))
PATHS = (
    ("refs", "echo", "bare ASGI JSON echo"),
    ("refs", "commit", "bare ASGI + 1 SQLite commit"),
    ("refs", "ws", "bare WebSocket + 1 SQLite commit"),
    ("sqlite", "bot_path", "botdesk SQLite: bot path"),
    ("sqlite", "nobot_path", "botdesk SQLite: no-bot path"),
    ("postgres", "bot_path", "botdesk PostgreSQL: bot path"),
    ("postgres", "nobot_path", "botdesk PostgreSQL: no-bot path"),
)


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return NA
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ratio(a: Any, b: Any) -> str:
    return f"{a / b:.2f}" if isinstance(a, int | float) and isinstance(b, int | float) and b else NA


def _met(ok: bool | None) -> str:
    return NA if ok is None else ("**met**" if ok else "**not met**")


def targets(report: dict[str, Any]) -> list[tuple[str, str, dict[str, str], bool | None]]:
    """(target, measure, per-kind value, all met) rows for the #10 targets."""
    plan = report["plan"]
    cost = report.get("bot_cost") or {}
    rows = []

    def row(name: str, measure: str, check: Any) -> None:
        values: dict[str, str] = {}
        oks: list[bool] = []
        for kind, _label in KINDS:
            data = report.get(kind)
            if not isinstance(data, dict) or "error" in data:
                values[kind] = "not run" if data is None else "error"
                continue
            text, ok = check(data)
            values[kind] = f"{text} ({'met' if ok else 'not met'})" if ok is not None else text
            if ok is not None:
                oks.append(ok)
        rows.append((name, measure, values, all(oks) if oks else None))

    def burst(d: dict[str, Any]) -> tuple[str, bool]:
        b = d["burst"]
        ok = b["ok"] == plan["burst"] and (b["p99_ms"] or 1e9) <= 1000
        return f"{b['ok']}/{plan['burst']} ok, p99 {fmt(b['p99_ms'])} ms", ok

    def bot_ratio(d: dict[str, Any]) -> tuple[str, bool | None]:
        peak = _get(d, "bot_path", "max", "throughput_ok_per_s")
        ceiling = cost.get("ceiling_msgs_per_s")
        if peak is None or not ceiling:
            return NA, None
        core = _get(d, "bot_path", "max", "ok_per_s_per_core")
        text = f"{peak:,.0f}/s = {peak / ceiling:.0%} of {ceiling:,.0f}/s"
        return text + _per_core(core, ceiling / 2), peak >= ceiling / 2

    def nobot(d: dict[str, Any]) -> tuple[str, bool | None]:
        peak = _get(d, "nobot_path", "max", "throughput_ok_per_s")
        if peak is None:
            return NA, None
        core = _get(d, "nobot_path", "max", "ok_per_s_per_core")
        return f"{peak:,.0f} msgs/s" + _per_core(core, 2000), peak >= 2000

    def tail(path: str, limit: float) -> Any:
        def check(d: dict[str, Any]) -> tuple[str, bool | None]:
            half = _get(d, path, "half")
            if not half or half["p99_ms"] is None:
                return NA, None
            ok = half["p99_ms"] <= limit and half["failed"] == 0
            text = f"p99 {half['p99_ms']:,.1f} ms at {half['offered_rate_per_s']:,.0f}/s"
            return text + (f", {half['failed']} failed" if half["failed"] else ""), ok

        return check

    def sockets(d: dict[str, Any]) -> tuple[str, bool | None]:
        s = d.get("sockets")
        if not s:
            return NA, None
        alive = s["alive_after_idle"]
        text = f"{s['kb_per_socket']:,.1f} KB/socket, {alive:,}/{s['requested']:,} open"
        if plan["sockets"] < 10_000:
            return text + " (quick: fewer than 10,000)", None
        return text, s["kb_per_socket"] <= 25 and alive >= 10_000

    bot_p99 = cost.get("p99_ms") or 0.0
    row(
        f"No stall: {plan['burst']} starts from {plan['burst_clients']} concurrent clients",
        "all succeed, p99 ≤ 1 s",
        burst,
    )
    row("Bot path ≥ 50 % of the bot-only ceiling", "max ÷ (1 ÷ bot cost)", bot_ratio)
    row("Message path without the bot ≥ 2,000 msgs/s", "closed-loop max", nobot)
    row("Tail without the bot at half its max", "p99 ≤ 50 ms", tail("nobot_path", 50.0))
    row(
        "Tail with the bot at half its max",
        f"p99 ≤ bot p99 {bot_p99:.1f} + 30 ms",
        tail("bot_path", bot_p99 + 30.0),
    )
    row("Idle widget socket ≤ 25 KB; 10,000 open", "RSS growth ÷ sockets", sockets)
    return rows


def _per_core(core: Any, goal: float) -> str:
    """The CPU-normalised figure: what the server's own CPU time says a whole core would do."""
    if not isinstance(core, int | float):
        return ""
    return f"; per whole core ≈ {core:,.0f}/s ({'would meet' if core >= goal else 'still short'})"


def render(report: dict[str, Any]) -> str:
    plan, m = report["plan"], report["machine"]
    lines = [
        "# Load: one botdesk node on one core",
        "",
        f"Generated by `benchmarks/load.py` ({report['mode']} run) on {report['date']}, "
        f"{report['wall_s']} s. Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
        f"Linux {m['kernel']}, Python {m['python']}, uvicorn {m['uvicorn']} (h11 HTTP, "
        f"websockets; neither uvloop nor httptools is installed). Load average at start "
        f"{' '.join(m['load_average_at_start'])}: the machine is shared, so the per-core busy "
        "columns show what else ran.",
        "",
        "Pinning: every server under test on CPU 0 (`sched_setaffinity`, checked in "
        "`/proc/PID/status`); the load generator, PostgreSQL and Redis on CPU 1 (all their "
        "threads, restored afterwards). CPU columns are percent of one core over the phase.",
        "",
        "## Targets (#10)",
        "",
        "| target | measure | SQLite | PostgreSQL + Redis | all met |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, measure, values, ok in targets(report):
        lines.append(
            f"| {name} | {measure} | {values.get('sqlite', NA)} | "
            f"{values.get('postgres', NA)} | {_met(ok)} |"
        )
    lines += _paths(report, plan) + _burst(report) + _sockets(report) + _bot(report)
    lines += _ratios(report) + _profiles(report) + _errors(report) + _method(plan)
    return "\n".join(lines) + "\n"


def _cpu(c: dict[str, Any]) -> str:
    return (
        f"{fmt(c.get('server_cpu_pct'))} | {fmt(c.get('generator_cpu_pct'))} | "
        f"{fmt(c.get('postgres_cpu_pct'))} | {fmt(c.get('redis_cpu_pct'))} | "
        f"{fmt(c.get('cpu0_busy_pct'))} / {fmt(c.get('cpu1_busy_pct'))}"
    )


def _paths(report: dict[str, Any], plan: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Throughput and tails",
        "",
        f"`max`: closed loop, {plan['max_connections']} keep-alive connections, "
        f"{plan['max_s']} s. `half`: open loop at half that rate for {plan['open_s']} s over up to "
        f"{plan['open_connections']} connections; latency from each request's scheduled send "
        "time. Percentiles are of successful (2xx) answers; `failed` counts non-2xx, timeouts "
        f"({plan['timeout_s']} s) and requests never sent before the end.",
        "",
        "`server CPU ms/ok` is the server's CPU time per successful request; `per core` = ok/s "
        "÷ the server's share of a core, what it would do with all of CPU 0 (the machine is "
        "shared, so the server may not get all of it: compare server CPU with CPU0 busy).",
        "",
        "| server: path | run | offered/s | ok/s | failed | p50 ms | p99 ms | p99.9 ms "
        "| max ms | server CPU ms/ok | per core /s | server CPU | generator CPU "
        "| PostgreSQL CPU | Redis CPU | CPU0 / CPU1 busy |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: | ---: |",
    ]
    for kind, path, label in PATHS:
        data = _get(report, kind, path)
        if not data:
            continue
        for run in ("max", "half"):
            r = data[run]
            offered = "closed" if run == "max" else fmt(r.get("offered_rate_per_s"))
            lines.append(
                f"| {label} | {run} | {offered} | {fmt(r['throughput_ok_per_s'])} | "
                f"{fmt(r['failed'])} | {fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | "
                f"{fmt(r['p999_ms'], 2)} | {fmt(r['max_ms'])} | "
                f"{fmt(r.get('server_cpu_ms_per_ok'), 2)} | {fmt(r.get('ok_per_s_per_core'), 0)} "
                f"| {_cpu(r['cpu'])} |"
            )
    return lines


def _burst(report: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Conversation-start burst",
        "",
        f"{report['plan']['burst']} `POST /api/v1/tenants/demo/conversations` from "
        f"{report['plan']['burst_clients']} concurrent clients (each a keep-alive connection "
        "taking the next start as soon as its last one is answered) on a freshly started node; "
        "30 s timeout per request.",
        "",
        "| server | ok | statuses | errors | p50 ms | p99 ms | max ms | wall s "
        "| server CPU | generator CPU | PostgreSQL CPU | Redis CPU | CPU0 / CPU1 busy |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for kind, label in KINDS:
        b = _get(report, kind, "burst")
        if b:
            lines.append(
                f"| {label} | {b['ok']}/{b['offered']} | {_codes(b['statuses'])} | "
                f"{_codes(b['errors'])} | {fmt(b['p50_ms'], 2)} | {fmt(b['p99_ms'], 2)} | "
                f"{fmt(b['max_ms'])} | {fmt(b['wall_s'], 2)} | {_cpu(b['cpu'])} |"
            )
    return lines


def _codes(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in counts.items()) or "none"


def _sockets(report: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Idle WebSockets",
        "",
        "Sockets opened 100 at a time; each sends its hello and counts as open once the server "
        "has answered it (botdesk: `ready`; reference: the hello's commit). Server RSS "
        "(`/proc/PID/status` VmRSS) is read before the first and 3 s after the last; per "
        "socket = growth ÷ sockets still open. Idle CPU is the server's over the next 3 s.",
        "",
        "| server | requested | opened | open after idle | per conversation | handshakes/s "
        "| RSS after start MB | RSS before MB | RSS open MB | KB/socket | RSS after close MB "
        "| idle CPU | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| --- |",
    ]
    for kind, label in (("refs", "bare WebSocket"), *KINDS):
        s = _get(report, kind, "sockets")
        if not s:
            continue
        start = _get(report, kind, "rss_after_start_kb") or _get(
            report, kind, "start", "rss_after_start_kb"
        )
        lines.append(
            f"| {label} | {s['requested']:,} | {s['opened']:,} | {s['alive_after_idle']:,} | "
            f"{fmt(s.get('sockets_per_conversation', 1.0), 2)} | {fmt(s['handshakes_per_s'])} "
            f"| {_mb(start)} | {_mb(s['rss_before_kb'])} | {_mb(s['rss_open_kb'])} | "
            f"{fmt(s['kb_per_socket'], 2)} | {_mb(s['rss_after_close_kb'])} | "
            f"{fmt(s['idle_server_cpu_pct'])} | {_codes(s['errors'])} |"
        )
    for kind, label in KINDS:
        created = _get(report, kind, "sockets", "conversations_created")
        if created:
            lines.append(
                f"\n{label}: conversations for the sockets made at 32 at a time: "
                f"{created.get('ok')} ok, {created.get('failed')} failed in "
                f"{created.get('wall_s')} s (budget {report['plan']['conversation_budget_s']} s;"
                " beyond it sockets share conversations, which the protocol allows)."
            )
    return lines


def _mb(kb: Any) -> str:
    return f"{kb / 1024:,.1f}" if isinstance(kb, int | float) else NA


def _bot(report: dict[str, Any]) -> list[str]:
    cost = report.get("bot_cost")
    if not cost:
        return []
    return [
        "",
        "## The bot's own cost (in-process, CPU 0)",
        "",
        "The demo tenant's responder (`responder_from_content` on `content/demo`, default model, "
        f"built in {cost['model_build_s']} s) called with the load test's messages, "
        f"{cost['messages']:,} turns over 50 conversations carrying state and history forward: "
        f"mean {cost['mean_ms']} ms, p50 {cost['p50_ms']} ms, p99 {cost['p99_ms']} ms, max "
        f"{cost['max_ms']} ms. Bot-only ceiling = 1 ÷ mean = **{cost['ceiling_msgs_per_s']:,} "
        "msgs/s** on one core.",
    ]


def _ratios(report: dict[str, Any]) -> list[str]:
    def peak(kind: str, path: str) -> Any:
        return _get(report, kind, path, "max", "throughput_ok_per_s")

    def p99(kind: str, path: str) -> Any:
        return _get(report, kind, path, "half", "p99_ms")

    ceiling = (report.get("bot_cost") or {}).get("ceiling_msgs_per_s")
    lines = [
        "",
        "## Ratios",
        "",
        "| ratio | SQLite | PostgreSQL + Redis |",
        "| --- | ---: | ---: |",
    ]
    rows: list[tuple[str, Callable[[str], str]]] = [
        ("bot path max ÷ bot-only ceiling", lambda k: ratio(peak(k, "bot_path"), ceiling)),
        ("no-bot max ÷ 2,000 target", lambda k: ratio(peak(k, "nobot_path"), 2000)),
        (
            "no-bot max ÷ bare ASGI + commit max",
            lambda k: ratio(peak(k, "nobot_path"), peak("refs", "commit")),
        ),
        (
            "no-bot max ÷ bare WebSocket + commit max",
            lambda k: ratio(peak(k, "nobot_path"), peak("refs", "ws")),
        ),
        (
            "no-bot max ÷ bare ASGI echo max",
            lambda k: ratio(peak(k, "nobot_path"), peak("refs", "echo")),
        ),
        (
            "bot path max ÷ no-bot max",
            lambda k: ratio(peak(k, "bot_path"), peak(k, "nobot_path")),
        ),
        (
            "no-bot p99 at half ÷ bare ASGI + commit p99 at half",
            lambda k: ratio(p99(k, "nobot_path"), p99("refs", "commit")),
        ),
        (
            "burst starts/s ÷ bare ASGI + commit max",
            lambda k: ratio(_starts_per_s(report, k), peak("refs", "commit")),
        ),
        (
            "KB per idle socket ÷ bare WebSocket's",
            lambda k: ratio(
                _get(report, k, "sockets", "kb_per_socket"),
                _get(report, "refs", "sockets", "kb_per_socket"),
            ),
        ),
        (
            "handshakes/s ÷ bare WebSocket's",
            lambda k: ratio(
                _get(report, k, "sockets", "handshakes_per_s"),
                _get(report, "refs", "sockets", "handshakes_per_s"),
            ),
        ),
        (
            "this ÷ SQLite: no-bot max",
            lambda k: ratio(peak(k, "nobot_path"), peak("sqlite", "nobot_path")),
        ),
        (
            "this ÷ SQLite: bot path max",
            lambda k: ratio(peak(k, "bot_path"), peak("sqlite", "bot_path")),
        ),
    ]
    for name, value in rows:
        lines.append(f"| {name} | {value('sqlite')} | {value('postgres')} |")
    bare = [
        ("bare WebSocket + commit max ÷ bare ASGI + commit max", peak("refs", "ws"), "commit"),
        ("bare ASGI + commit max ÷ bare ASGI echo max", peak("refs", "commit"), "echo"),
    ]
    for name, value, other in bare:
        lines.append(f"| {name} | {ratio(value, peak('refs', other))} | (same) |")
    return lines


def _starts_per_s(report: dict[str, Any], kind: str) -> Any:
    b = _get(report, kind, "burst")
    return b["ok"] / b["wall_s"] if b and b["wall_s"] else None


def _profiles(report: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for kind, label in KINDS:
        for path, name in (("bot_path", "bot path"), ("nobot_path", "no-bot path")):
            prof = _get(report, kind, path, "profile")
            if not prof:
                continue
            if not lines:
                lines += [
                    "",
                    "## Where the server's time goes (py-spy, --profile)",
                    "",
                    "Sampled at 200 Hz (non-blocking) during an extra closed-loop run after the "
                    "measured ones; active threads only. Share of samples, by area and by "
                    "function (self time = the frame on top of the stack).",
                ]
            if "error" in prof:
                lines += ["", f"{label}, {name}: {prof['error']}"]
                continue
            areas = ", ".join(f"{a} {s:.0%}" for a, s in prof["areas"])
            lines += [
                "",
                f"**{label}, {name}** ({prof['samples']:,} busy samples; idle waits "
                f"{prof.get('idle_share', 0):.0%} of all). By area (innermost library frame): "
                f"{areas}.",
            ]
            lines += ["", "| self | inclusive | function |", "| ---: | ---: | --- |"]
            for fn, own, total in prof["top"]:
                lines.append(f"| {own:.1%} | {total:.1%} | `{fn}` |")
    return lines


def _errors(report: dict[str, Any]) -> list[str]:
    lines = []
    for kind in ("refs", "sqlite", "postgres"):
        data = report.get(kind)
        if isinstance(data, dict) and "error" in data:
            lines.append(f"- {kind}: {data['error']}")
        elif isinstance(data, dict) and data.get("server_log_tail"):
            found = data.get("server_log_errors") or {}
            lines.append(f"- {kind}: {found.get('error_lines', 0)} ERROR lines in the server log")
            lines += [f"  - `{line}`" for line in found.get("exceptions", [])]
            tail = " / ".join(data["server_log_tail"])[-600:]
            lines.append(f"  - last lines: `{tail}`")
    return ["", "## Errors and server logs", "", *lines] if lines else []


def _method(plan: dict[str, Any]) -> list[str]:
    return [
        "",
        "## How it is measured",
        "",
        "- Servers: `botdesk migrate`, `botdesk demo`, then `botdesk serve` as its own process "
        "(development environment, a fresh SQLite file or a fresh PostgreSQL database, Redis "
        "database 9 for pub/sub, a random master key; file limit raised to 20,000). The "
        "references are `benchmarks/load_servers.py` on the same uvicorn: a bare ASGI callable, "
        "SQLite in WAL mode with synchronous=NORMAL, one `BEGIN IMMEDIATE; INSERT; COMMIT` per "
        "request or WebSocket message, on the event loop.",
        "- Generator (`benchmarks/loadgen.py`): asyncio protocols over raw keep-alive sockets "
        "with pre-built HTTP/1.1 requests and masked WebSocket frames; one process on CPU 1. "
        "Open loop: request i is due at start + i ÷ rate; if no connection is free it waits in "
        "a backlog and its latency still counts from its due time.",
        "- Bot path: `POST /api/v1/conversations/{id}/messages` from shoppers talking to the bot "
        f"(in-scope questions in fi/sv/nb/en), {plan['bot_conversations']} conversations from "
        "the burst, round robin, so no conversation has two messages in flight.",
        "- No-bot path: the demo agent signs in (console cookie + CSRF token), goes online; "
        f"{plan['nobot_conversations']} conversations ask for a person, send the pre-chat form "
        "and are accepted; then shopper messages (`POST …/messages`, the bot silent) and agent "
        "replies (`POST /console/api/conversations/{id}/messages`) alternate.",
        "- Targets and the bot's own cost as in #10; a tail target also needs no failed request.",
    ]


_PROFILE_AREAS = (
    ("botdesk", re.compile(r"[(/]botdesk/")),
    ("SQLAlchemy", re.compile(r"[(/]sqlalchemy/")),
    ("psycopg", re.compile(r"[(/]psycopg")),
    ("numpy/bot model", re.compile(r"[(/](numpy|scipy|sklearn)/")),
    ("pydantic", re.compile(r"[(/]pydantic")),
    ("FastAPI/Starlette", re.compile(r"[(/](fastapi|starlette)/")),
    ("uvicorn/h11/websockets", re.compile(r"[(/](uvicorn|h11|websockets)/")),
    ("anyio/asyncio/threads", re.compile(r"[(/](anyio|asyncio|concurrent|threading|selectors)")),
    ("redis", re.compile(r"[(/]redis/")),
)
# Leaves that mean a thread is waiting, not working (py-spy cannot always tell).
_IDLE_LEAVES = re.compile(r"^(EpollSelector\.select|Condition\.wait|Event\.wait|_worker) \(")


def summarise_profile(raw: str, top: int = 15) -> dict[str, Any]:
    """Top functions and areas from py-spy's collapsed stacks ("f (file:line);… count").

    Shares are of busy samples: stacks whose leaf is an idle wait (the event loop's select, a
    worker thread waiting for work) are counted apart as `idle_share`.
    """
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    areas: collections.Counter[str] = collections.Counter()
    total = idle = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";") if f]
        frames = [re.sub(r"\(.*/site-packages/", "(", f) for f in frames]
        if not frames:
            continue
        if _IDLE_LEAVES.match(frames[-1]):
            idle += count
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
        # An area owns a sample if it holds the innermost frame that belongs to any area.
        for frame in reversed(frames):
            area = next((name for name, rx in _PROFILE_AREAS if rx.search(frame)), None)
            if area is not None:
                areas[area] += count
                break
        else:
            areas["other"] += count
    if not total:
        return {"error": "no busy samples"}
    return {
        "samples": total,
        "idle_share": round(idle / (idle + total), 3),
        "areas": [(a, n / total) for a, n in areas.most_common(8)],
        "top": [(fn, n / total, inclusive[fn] / total) for fn, n in own.most_common(top)],
    }
