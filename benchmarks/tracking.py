"""Order tracking under load: does a slow or broken merchant API tie up botdesk? (a report)

docs/orders.md promises that a look-up never blocks the server: it is awaited on the event loop
with a connect timeout and a deadline, retried with backoff, behind a circuit breaker per
tenant, and the demo merchant is served by botdesk itself without waiting on what the look-up
holds. This measures that on one botdesk node (SQLite, no Redis), pinned to CPU 0, with this
load generator and a stand-in merchant (`tracking_merchant.py`) on CPU 1:

1. normal questions only (never a look-up): the maximum (closed loop), then p50/p95/p99 at
   half of it (paced: message i is due at start + i / rate, latency counted from then);
2. tracking questions with their proof answered by the in-process demo merchant: the maximum
   with a few shoppers and with many, whether every answer is right, then mixed with normal
   questions at the baseline's rate;
3. a slow merchant (every answer after `--delay` seconds): normal questions at the baseline's
   rate while as many shoppers wait on tracking questions;
4. a dead merchant, first refusing connections, then answering 500: one tracking question at a
   time until the circuit breaker opens, then tracking questions at the baseline's rate while
   it is open; in between, the breaker's cool-down and the trial look-up that closes it again.
Every phase records the server's CPU seconds (/proc/PID/stat), its RSS, each core's busy
share, what reached the merchant, and the look-up failures the server logged.

Usage: PYTHONPATH=src .venv/bin/python benchmarks/tracking.py [--quick] [--delay 5]
Writes benchmarks/reports/tracking.md and tracking.json (with --quick: tracking-quick.*).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import collections
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load_servers as servers
import tracking_report
from tracking_shoppers import (
    NORMAL_QUESTIONS,
    TRACKING_QUESTIONS,
    Client,
    Reservoir,
    Run,
    Sample,
    Shopper,
    summarise,
    timeline,
)

from botdesk.demo_merchant import MAPPING, STATES
from botdesk.orders.breaker import COOL_DOWN_SECONDS, FAILURES

ROOT = servers.ROOT
SERVER_CPU, LOAD_CPU = 0, 1
PORT, MERCHANT_PORT, DEAD_PORT = 8781, 8782, 8783
# As in load.py: the machine is shared, so what is measured runs at this priority.
NICE = -10
TENANT_CACHE_SECONDS = 1.0
ROLES_CPU = ("server_cpu_pct", "generator_cpu_pct", "merchant_cpu_pct")
_FAILED = re.compile(r"order look-up failed for tenant \S+: (\w+)")


@dataclass(frozen=True)
class Plan:
    max_s: float  # closed-loop runs that find a path's maximum
    paced_s: float  # runs at a fixed rate
    slow_s: float  # the slow merchant
    open_s: float  # tracking questions while the circuit is open
    shoppers: int  # closed-loop shoppers; also the shoppers waiting on the slow merchant
    few: int  # tracking shoppers of the smaller closed-loop run
    pool: int  # connections (shoppers) a paced run may use at once
    probes: int  # one-at-a-time questions to a dead merchant, at most
    timeout_s: float  # per request; above botdesk's 8 s look-up deadline


FULL = Plan(12, 20, 25, 8, 64, 16, 100, 12, 20)
QUICK = Plan(3, 4, 8, 3, 16, 4, 32, 9, 20)


# ---- the processes -----------------------------------------------------------------------------


class Node:
    """One botdesk node (`botdesk serve`) on a fresh SQLite database, and its CLI."""

    def __init__(self, work: Path, port: int) -> None:
        self.work, self.port = work, port
        self.base_url = f"http://127.0.0.1:{port}"
        data = work / "botdesk"
        data.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOTDESK_")}
        env |= {
            "PYTHONPATH": str(ROOT / "src"),
            "BOTDESK_ENVIRONMENT": "development",
            "BOTDESK_DATA_DIR": str(data),
            "BOTDESK_DATABASE_URL": f"sqlite:///{data / 'botdesk.db'}",
            "BOTDESK_MASTER_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "BOTDESK_BASE_URL": self.base_url,
            "BOTDESK_OUTBOUND_ALLOWED_NETWORKS": "127.0.0.1/32",
            "BOTDESK_TENANT_CACHE_SECONDS": str(TENANT_CACHE_SECONDS),
            **servers.raised_rate_limits(),
        }
        self.env, self.log = env, work / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.settings = {k: v for k, v in env.items() if k.startswith("BOTDESK_")}
        self.settings["BOTDESK_MASTER_KEY"] = "(random, 32 bytes)"

    def cli(self, *args: str) -> str:
        """`botdesk …` as the operator would run it (on the generator's CPU, inherited)."""
        return servers.run_checked([sys.executable, "-m", "botdesk", *args], self.env)

    def start(self) -> dict[str, Any]:
        timings = {}
        for step in ("migrate", "demo"):
            began = time.monotonic()
            self.cli(step)
            timings[f"{step}_s"] = round(time.monotonic() - began, 1)
        argv = [sys.executable, "-m", "botdesk", "serve", "--port", str(self.port)]
        self.process = servers.start(argv, self.env, self.log, SERVER_CPU, NICE)
        ready = servers.wait_ready(self.port, "/readyz", self.process, 90)
        where = subprocess.run(
            [sys.executable, "-c", "import botdesk; print(botdesk.__file__)"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not Path(where).is_relative_to(ROOT):
            raise RuntimeError(f"the server would run botdesk from {where}, not from {ROOT}")
        return {
            **timings,
            "ready_s": round(ready, 2),
            "pid_cpus": servers.cpus_allowed(self.pid),
            "rss_after_start_kb": servers.rss_kb(self.pid),
            "botdesk_imported_from": str(Path(where).parent.relative_to(ROOT)),
        }

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def connect(self, url: str, token_file: Path) -> float:
        """Point the demo tenant at `url`, then wait until the server's cache has it."""
        options = self.work / "options.json"
        options.write_text(
            json.dumps({"auth": "bearer", "mapping": MAPPING, "states": STATES}) + "\n"
        )
        began = time.monotonic()
        self.cli(
            "tenant", "connect", "demo", "generic", url,
            "--secret-file", str(token_file), "--options-file", str(options), "--no-test",
        )  # fmt: skip
        took = time.monotonic() - began
        time.sleep(TENANT_CACHE_SECONDS + 0.5)
        return round(took, 2)

    def log_mark(self) -> int:
        return self.log.stat().st_size

    def log_since(self, mark: int) -> dict[str, Any]:
        with self.log.open("rb") as f:
            f.seek(mark)
            lines = f.read().decode(errors="replace").splitlines()
        kinds = collections.Counter(m.group(1) for line in lines if (m := _FAILED.search(line)))
        errors = [line[:200] for line in lines if " ERROR " in line or "Traceback" in line]
        return {"lookup_failures": dict(kinds), "error_lines": len(errors), "errors": errors[:5]}

    def stop(self) -> None:
        if self.process is not None:
            servers.stop(self.process)


class Merchant:
    """The stand-in merchant (tracking_merchant.py) on the generator's CPU."""

    def __init__(self, work: Path, port: int, delay: float) -> None:
        self.port, self.delay = port, delay
        self.token_file = work / "merchant-token.txt"
        self.token_file.write_text(base64.urlsafe_b64encode(os.urandom(24)).decode() + "\n")
        script = Path(__file__).parent / "tracking_merchant.py"
        argv = [sys.executable, str(script), "--port", str(port), "--delay", str(delay)]
        argv += ["--token-file", str(self.token_file)]
        env = dict(os.environ) | {"PYTHONPATH": str(ROOT / "src")}
        self.process = servers.start(argv, env, work / "merchant.log", LOAD_CPU, NICE)
        servers.wait_ready(port, "/stats", self.process, 30)

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.port}/{mode}"

    def stats(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}/stats"
        with urllib.request.urlopen(url, timeout=5) as answer:
            data: dict[str, Any] = json.loads(answer.read())
        return data

    def stop(self) -> None:
        servers.stop(self.process)


def requests_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    b, a = before["requests"], after["requests"]
    return {mode: a[mode] - b.get(mode, 0) for mode in a if a[mode] - b.get(mode, 0)}


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


# ---- phases ------------------------------------------------------------------------------------


class Bench:
    def __init__(self, plan: Plan, node: Node, merchant: Merchant) -> None:
        self.plan, self.node, self.merchant = plan, node, merchant
        self.reservoir = Reservoir(node.port, node.base_url)
        self.meter = servers.CpuMeter(
            {
                "server": lambda: [node.pid],
                "generator": lambda: [os.getpid()],
                "merchant": lambda: [merchant.process.pid],
            }
        )
        self.shoppers_made = 0

    def shoppers(self, kind: str, count: int) -> list[Shopper]:
        if len(self.reservoir.ready) < count:
            asyncio.run(self.reservoir.fill(count - len(self.reservoir.ready)))
        made = []
        for _ in range(count):
            made.append(Shopper(kind, self.reservoir.ready.popleft(), self.shoppers_made))
            self.shoppers_made += 1
        return made

    def stock(self, tracking_answers: float) -> None:
        """Start the conversations a run's tracking shoppers will move on to."""
        want = int(tracking_answers / len(TRACKING_QUESTIONS)) + 8
        if len(self.reservoir.ready) < want:
            asyncio.run(self.reservoir.fill(want - len(self.reservoir.ready)))

    def measure(
        self, name: str, duration: float, run: Callable[[Run], list[Coroutine[Any, Any, None]]]
    ) -> dict[str, Any]:
        """One phase: the shoppers' samples with the server's CPU, RSS, log and the merchant."""
        node = self.node
        mark, before = node.log_mark(), self.merchant.stats()
        started_before = self.reservoir.started_during_runs
        cpu_before = servers.cpu_seconds(node.pid)
        self.meter.start()
        began = time.monotonic()

        async def go() -> list[Sample]:
            driver = Run(node.port, node.base_url, self.reservoir, self.plan.timeout_s)
            return await driver.together(*run(driver))

        samples = asyncio.run(go())
        wall = time.monotonic() - began
        cpu = self.meter.stop()
        # What else ran on the two cores (the machine is shared), in % of one core.
        ours = sum(v for k, v in cpu.items() if k in ROLES_CPU)
        cpu["others_cpu_pct"] = round(
            max(0.0, cpu["cpu0_busy_pct"] + cpu["cpu1_busy_pct"] - ours), 1
        )
        server_cpu_s = servers.cpu_seconds(node.pid) - cpu_before
        answers = sum(1 for s in samples if s.outcome in ("right", "unavailable", "wrong"))
        out = {
            "name": name,
            "duration_s": duration,
            "wall_s": round(wall, 2),
            "normal": summarise(samples, "normal", duration),
            "tracking": summarise(samples, "tracking", duration),
            "server_cpu_s": round(server_cpu_s, 2),
            "server_cpu_ms_per_answer": round(1000 * server_cpu_s / answers, 2)
            if answers
            else None,
            "cpu": cpu,
            "rss_end_kb": servers.rss_kb(node.pid),
            "merchant_requests": requests_between(before, self.merchant.stats()),
            "merchant_in_flight_max": self.merchant.stats()["in_flight_max"],
            "log": node.log_since(mark),
            "timeline": timeline(samples, duration),
            "conversations_started_during_run": (
                self.reservoir.started_during_runs - started_before
            ),
        }
        print(f"  {_line(out)}", file=sys.stderr, flush=True)
        return out

    def probe(self, shopper: Shopper) -> dict[str, Any]:
        """One tracking question, alone: how long, what was said, what reached the merchant."""
        mark, before = self.node.log_mark(), self.merchant.stats()

        async def one() -> list[Sample]:
            driver = Run(self.node.port, self.node.base_url, self.reservoir, self.plan.timeout_s)
            client = Client(self.node.port, self.plan.timeout_s)

            async def ask() -> None:
                await driver.ask(shopper, client, asyncio.get_running_loop().time())
                client.close()

            return await driver.together(ask())

        sample = asyncio.run(one())[0]
        return {
            "at": time.monotonic(),
            "latency_ms": round(sample.latency * 1000, 1),
            "outcome": sample.outcome,
            "merchant_requests": sum(requests_between(before, self.merchant.stats()).values()),
            "logged": self.node.log_since(mark)["lookup_failures"],
        }


def _line(out: dict[str, Any]) -> str:
    parts = [out["name"]]
    for kind in ("normal", "tracking"):
        if s := out.get(kind):
            parts.append(
                f"{kind}: {s['asked']} asked, {s['outcomes']}, {s['answered_per_s']}/s, "
                f"p50 {s['p50_ms']} p99 {s['p99_ms']} ms"
            )
    parts.append(f"server CPU {out['server_cpu_s']} s, {out['cpu'].get('server_cpu_pct')} %")
    return " | ".join(parts)


def run_all(plan: Plan, bench: Bench, started: float) -> dict[str, Any]:
    node, merchant, p = bench.node, bench.merchant, plan
    out: dict[str, Any] = {}

    def say(what: str) -> None:
        print(f"[{time.monotonic() - started:6.0f} s] {what}", file=sys.stderr, flush=True)

    # Warm up: the first message builds the tenant's bot, the first look-up the HTTP client.
    warm = bench.shoppers("normal", 1) + bench.shoppers("tracking", 1)
    out["warm_up"] = [bench.probe(s) for s in warm]

    normal = bench.shoppers("normal", max(p.pool, p.shoppers))
    say("normal questions: maximum, then paced at half of it")
    out["normal_max"] = bench.measure(
        "normal_max", p.max_s, lambda r: [r.closed(normal[: p.shoppers], p.max_s)]
    )
    rate = max(1.0, round(out["normal_max"]["normal"]["answered_per_s"] / 2))
    out["normal_rate"] = rate
    out["normal_paced"] = bench.measure(
        "normal_paced", p.paced_s, lambda r: [r.paced(normal, rate, p.paced_s)]
    )

    say("tracking from the in-process demo merchant: maximum, then mixed")
    # A few shoppers first, then many: what more look-ups in flight at once cost.
    few = bench.shoppers("tracking", p.few)
    bench.stock(out["normal_max"]["normal"]["answered_per_s"] * p.max_s)
    out["tracking_max_few"] = bench.measure(
        "tracking_max_few", p.max_s, lambda r: [r.closed(few, p.max_s)]
    )
    tracking = bench.shoppers("tracking", p.shoppers)
    bench.stock(out["normal_max"]["normal"]["answered_per_s"] * p.max_s)
    out["tracking_max"] = bench.measure(
        "tracking_max", p.max_s, lambda r: [r.closed(tracking, p.max_s)]
    )
    tracking_rate = max(1.0, round(out["tracking_max"]["tracking"]["answered_per_s"] / 5))
    out["tracking_rate"] = tracking_rate
    bench.stock(tracking_rate * p.paced_s)
    out["mixed"] = bench.measure(
        "mixed",
        p.paced_s,
        lambda r: [
            r.paced(normal, rate, p.paced_s),
            r.paced(tracking, tracking_rate, p.paced_s),
        ],
    )

    say(f"a slow merchant ({merchant.delay:g} s per answer)")
    out["connect_s"] = {"slow": node.connect(merchant.url("slow"), merchant.token_file)}
    delay = merchant.delay
    # The waiting shoppers' first questions are spread over one merchant delay, as independent
    # shoppers' would be, and the last are asked so that they are answered within the run.
    waiting = bench.shoppers("tracking", p.shoppers)
    bench.stock(p.shoppers * (p.slow_s / delay + 1))
    out["slow"] = bench.measure(
        "slow",
        p.slow_s,
        lambda r: [
            r.paced(normal, rate, p.slow_s),
            r.closed(waiting, p.slow_s, spread=delay, stop_asking=p.slow_s - delay - 0.5),
        ],
    )
    # The same shoppers all asking at the same instant, twice: what a burst of look-ups costs.
    together = bench.shoppers("tracking", p.shoppers)
    out["slow_together"] = bench.measure(
        "slow_together",
        2 * delay + 1,
        lambda r: [
            r.paced(normal, rate, 2 * delay + 1),
            r.closed(together, 2 * delay + 1, stop_asking=delay + 0.5),
        ],
    )

    # The same normal questions alone, right after: the machine is shared and its speed drifts
    # from minute to minute, so the slow merchant is compared with this as well.
    control_s = p.paced_s / 2
    out["normal_control"] = bench.measure(
        "normal_control", control_s, lambda r: [r.paced(normal, rate, control_s)]
    )

    say("a dead merchant: connections refused")
    if not refused(DEAD_PORT):
        raise RuntimeError(f"port {DEAD_PORT} is in use: it cannot stand for a dead merchant")
    out["connect_s"]["refused"] = node.connect(f"http://127.0.0.1:{DEAD_PORT}", merchant.token_file)
    # While the breaker is open, tracking questions at half the baseline's rate: an answer
    # that cannot be checked costs more than a normal one (two hops to the workers).
    dead_rate = max(1.0, round(rate / 2))
    out["dead_refused"] = dead_merchant(bench, "dead_refused", dead_rate)

    say(f"the breaker's cool-down ({COOL_DOWN_SECONDS:g} s), then a healthy merchant again")
    out["connect_s"]["ok"] = node.connect(merchant.url("ok"), merchant.token_file)
    opened = out["dead_refused"].pop("opened_at")
    if opened is None:
        raise RuntimeError("the breaker did not open on a merchant refusing connections")
    time.sleep(max(0.0, opened + COOL_DOWN_SECONDS + 1.0 - time.monotonic()))
    shopper = bench.shoppers("tracking", 1)[0]
    out["recovery"] = [bench.probe(shopper) for _ in range(2)]
    for probe in out["recovery"]:
        probe["at"] = round(probe["at"] - opened, 2)

    say("a dead merchant: 500 to every request")
    out["connect_s"]["error"] = node.connect(merchant.url("error"), merchant.token_file)
    out["dead_500"] = dead_merchant(bench, "dead_500", dead_rate)
    opened = out["dead_500"].pop("opened_at")

    # The merchant fixed, and the tenant connected to it again from the shell while the breaker
    # is still open: the CLI's change reaches this node through the tenant cache only.
    say("the merchant fixed within the cool-down (connected again with the CLI)")
    out["connect_s"]["ok_again"] = node.connect(merchant.url("ok"), merchant.token_file)
    shopper = bench.shoppers("tracking", 1)[0]
    out["fixed_while_open"] = [bench.probe(shopper) for _ in range(2)]
    for probe in out["fixed_while_open"]:
        probe["at"] = round(probe["at"] - opened, 2) if opened is not None else None
    return out


def dead_merchant(bench: Bench, name: str, rate: float) -> dict[str, Any]:
    """One question at a time until the breaker has refused three, then many while it is open."""
    plan = bench.plan
    probes: list[dict[str, Any]] = []
    for shopper in bench.shoppers("tracking", plan.probes):
        probes.append(bench.probe(shopper))
        if len(probes) >= 3 and all("circuit_open" in p["logged"] for p in probes[-3:]):
            break
    # The breaker opened with the last look-up that was let through before the first refusal.
    first_refused = next((i for i, p in enumerate(probes) if "circuit_open" in p["logged"]), None)
    opened_at = None
    if first_refused:
        opened_at = probes[first_refused - 1]["at"]
    began = probes[0]["at"] - probes[0]["latency_ms"] / 1000
    for p in probes:
        p["at"] = round(p["at"] - began, 2)
    shoppers = bench.shoppers("tracking", plan.pool)
    burst = bench.measure(
        f"{name}_open", plan.open_s, lambda r: [r.paced(shoppers, rate, plan.open_s)]
    )
    burst["seconds_after_opening"] = (
        round(time.monotonic() - opened_at, 1) if opened_at is not None else None
    )
    return {
        "probes": probes,
        "open": burst,
        "opened_at": opened_at,
        "opened_after_probe": first_refused,
        "rate": rate,
    }


# ---- the machine and the report ----------------------------------------------------------------


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "uvicorn": version("uvicorn"),
        "uvloop": version("uvloop"),
        "httptools": version("httptools"),
    }


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short phases (smoke test)")
    parser.add_argument("--delay", type=float, default=5.0, help="the slow merchant's seconds")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reports")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    os.sched_setaffinity(0, {LOAD_CPU})  # children (CLI, merchant) inherit CPU 1
    os.setpriority(os.PRIO_PROCESS, 0, NICE)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(servers.NOFILE, hard), hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.monotonic()
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "plan": asdict(plan),
        "merchant_delay_s": args.delay,
        "breaker": {"failures": FAILURES, "cool_down_s": COOL_DOWN_SECONDS},
        "machine": machine(),
        "load_average_at_start": Path("/proc/loadavg").read_text().split()[:3],
        "commit": git("rev-parse", "--short", "HEAD"),
        "source_changes": git("status", "--porcelain", "--", "src", "content") or None,
        "pinning": {"server": SERVER_CPU, "generator_merchant_cli": LOAD_CPU, "nice": NICE},
        "questions": {
            "normal": [q.text for q in NORMAL_QUESTIONS],
            "tracking": [q.text for q in TRACKING_QUESTIONS],
        },
    }
    work = Path(tempfile.mkdtemp(prefix="botdesk-tracking-"))
    node = Node(work, PORT)
    merchant: Merchant | None = None
    try:
        print("[     0 s] botdesk migrate, demo, serve", file=sys.stderr, flush=True)
        report["start"] = node.start()
        report["settings"] = node.settings
        merchant = Merchant(work, MERCHANT_PORT, args.delay)
        bench = Bench(plan, node, merchant)
        report |= run_all(plan, bench, started)
        report["conversations_started_during_runs"] = bench.reservoir.started_during_runs
        report["rss_end_kb"] = servers.rss_kb(node.pid)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        report["error"] = f"{type(exc).__name__}: {exc}"
        print(f"stopped: {report['error']}", file=sys.stderr, flush=True)
    finally:
        if merchant is not None:
            merchant.stop()
        node.stop()
        report["server_log"] = node.log_since(0) if node.log.exists() else None
        shutil.rmtree(work, ignore_errors=True)
    report["load_average_at_end"] = Path("/proc/loadavg").read_text().split()[:3]
    report["wall_s"] = round(time.monotonic() - started, 1)
    stem = "tracking-quick" if args.quick else "tracking"
    args.out.mkdir(parents=True, exist_ok=True)
    markdown = tracking_report.render(report)
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (args.out / f"{stem}.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
