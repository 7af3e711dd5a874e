"""Load, tails and idle sockets of one botdesk node on one core (a report, not a timed test; #10).

In one run, pinned (server on CPU 0; this load generator, PostgreSQL and Redis on CPU 1):
the references (a bare ASGI JSON server, the same with one durable SQLite commit per request,
and a bare WebSocket server with one durable SQLite commit per message), botdesk on SQLite, and
botdesk on PostgreSQL + Redis. For each server it reports:

- maximum throughput of each path (closed loop), then p50/p99/p99.9 at half of it (open loop:
  sends on a fixed schedule, latency from the scheduled time, so no coordinated omission);
- botdesk: a burst of conversation starts, the bot path, and the message path without the bot
  (a shopper writing while an agent has the chat, and the agent's replies, alternating);
- idle WebSockets: server RSS per socket and handshake rate;
- CPU of server, generator, PostgreSQL and Redis in every phase, and of each core.
The bot's own cost per message is measured in-process on CPU 0 (`load_bot.py`) in the same run.

Usage: .venv/bin/python benchmarks/load.py [--quick] [--only sqlite|postgres|refs] [--profile]
Writes benchmarks/reports/load.md and load.json (with --quick or --only: load-quick.*).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load_report
import load_servers as servers
import loadgen
from load_bot import BOT_MESSAGES, LANGUAGE

ROOT = servers.ROOT
SERVER_CPU, LOAD_CPU = 0, 1
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
PG_DATABASE = "botdesk_load"
REDIS_URL = "redis://127.0.0.1:6379/9"
AGENT = ("agent@demo.botdesk.test", "demo-password-2026")
PORTS = {"refs": 8771, "sqlite": 8772, "postgres": 8773}
# The machine is shared: everything under test (and the generator, PostgreSQL, Redis) runs at
# this priority, so that other work on the two cores takes as little of theirs as it can.
NICE = -10


@dataclass(frozen=True)
class Plan:
    max_s: float  # closed-loop run that finds a path's maximum
    open_s: float  # open-loop run at half the maximum
    max_connections: int
    open_connections: int
    burst: int
    burst_clients: int
    sockets: int
    conversation_budget_s: float  # time allowed to create conversations for the sockets
    bot_conversations: int
    nobot_conversations: int
    bot_cost_messages: int
    profile_s: float
    timeout_s: float


FULL = Plan(8, 20, 32, 128, 500, 200, 10_000, 90, 200, 64, 2000, 10, 10)
QUICK = Plan(1, 2, 16, 64, 200, 100, 200, 10, 50, 16, 150, 4, 10)


def phase(
    meter: servers.CpuMeter, run: Callable[[], Any], *, summarise: bool = True
) -> dict[str, Any]:
    meter.start()
    result = run()
    cpu = meter.stop()
    out = result.summary() if summarise and isinstance(result, loadgen.Result) else result
    share = cpu.get("server_cpu_pct", 0.0) / 100
    if isinstance(out, dict) and out.get("ok") and share > 0:
        # What the server's CPU time says one whole core would do: on a shared machine the
        # server may get less than all of CPU 0 (see cpu0_busy_pct against server_cpu_pct).
        out["server_cpu_ms_per_ok"] = round(share * out["wall_s"] * 1000 / out["ok"], 3)
        out["ok_per_s_per_core"] = round(out["ok"] / (share * out["wall_s"]), 1)
    return {**out, "cpu": cpu}


def max_then_half(
    meter: servers.CpuMeter,
    plan: Plan,
    connect: Callable[[], Any],
    closed_connect: Callable[[], Any],
    requests: list[bytes],
) -> dict[str, Any]:
    """A path's maximum (closed loop), then its tails at half that rate (open loop)."""
    peak = phase(
        meter,
        lambda: asyncio.run(
            loadgen.run_load(
                closed_connect,
                requests,
                connections=plan.max_connections,
                duration=plan.max_s,
                rate=None,
                request_timeout=plan.timeout_s,
            )
        ),
    )
    rate = max(1.0, round(peak["throughput_ok_per_s"] / 2, 1))
    half = phase(
        meter,
        lambda: asyncio.run(
            loadgen.run_load(
                connect,
                requests,
                connections=plan.open_connections,
                duration=plan.open_s,
                rate=rate,
                request_timeout=plan.timeout_s,
            )
        ),
    )
    half["offered_rate_per_s"] = rate
    return {"max": peak, "half": half}


def ws_connect(port: int, path: str, hello: bytes | None, until: bytes | None) -> Any:
    return loadgen.connect_ws(port, path, hello, until, 30.0)


async def open_idle_sockets(
    pid: int, port: int, targets: list[tuple[str, bytes]], until: bytes, concurrency: int
) -> dict[str, Any]:
    """Open one socket per target (path, hello), idle them, measure RSS, close them."""
    settle = 3.0 if len(targets) > 1000 else 1.5
    before = servers.rss_kb(pid)
    gate = asyncio.Semaphore(concurrency)
    opened: list[loadgen.WsConn] = []
    errors: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    began = loop.time()

    async def one(path: str, hello: bytes) -> None:
        async with gate:
            try:
                opened.append(await loadgen.connect_ws(port, path, hello, until, 30.0))
            except (OSError, TimeoutError, ConnectionError) as exc:
                key = str(exc)[:60] or type(exc).__name__
                errors[key] = errors.get(key, 0) + 1

    await asyncio.gather(*(one(path, hello) for path, hello in targets))
    wall = loop.time() - began
    await asyncio.sleep(settle)
    alive = sum(not c.closed for c in opened)
    after = servers.rss_kb(pid)
    cpu_before = servers.cpu_seconds(pid)
    await asyncio.sleep(settle)
    idle_cpu = 100 * (servers.cpu_seconds(pid) - cpu_before) / settle
    alive_later = sum(not c.closed for c in opened)
    for conn in opened:
        conn.close()
    await asyncio.sleep(settle)
    return {
        "requested": len(targets),
        "opened": len(opened),
        "alive_after_idle": alive_later,
        "alive_at_rss": alive,
        "errors": errors,
        "handshake_wall_s": round(wall, 2),
        "handshakes_per_s": round(len(opened) / wall, 1) if wall else 0.0,
        "rss_before_kb": before,
        "rss_open_kb": after,
        "rss_after_close_kb": servers.rss_kb(pid),
        "kb_per_socket": round((after - before) / max(1, alive), 2),
        "idle_server_cpu_pct": round(idle_cpu, 1),
    }


def roles(server_pid: int) -> dict[str, Callable[[], list[int]]]:
    return {
        "server": lambda: [server_pid],
        "generator": lambda: [os.getpid()],
        "postgres": lambda: servers.pids_named("postgres"),
        "redis": lambda: servers.pids_named("redis-server"),
    }


def run_refs(plan: Plan, work: Path) -> dict[str, Any]:
    port = PORTS["refs"]
    argv = [str(servers.VENV_BIN / "python"), str(Path(__file__).parent / "load_servers.py")]
    argv += ["--port", str(port), "--db", str(work / "ref.db")]
    process = servers.start(argv, dict(os.environ), work / "refs.log", SERVER_CPU, NICE)
    try:
        ready_s = servers.wait_ready(port, "/healthz", process, 30)
        meter = servers.CpuMeter(roles(process.pid))
        out: dict[str, Any] = {
            "pid_cpus": servers.cpus_allowed(process.pid),
            "ready_s": round(ready_s, 2),
            "rss_after_start_kb": servers.rss_kb(process.pid),
        }
        body = json.dumps({"text": "Where is my parcel 40012345?", "client_message_id": "m-1"})
        headers = {"Content-Type": "application/json"}
        http = partial(loadgen.connect_http, port)
        for path in ("echo", "commit"):
            request = loadgen.http_request("POST", f"/{path}", body.encode(), headers)
            out[path] = max_then_half(meter, plan, http, http, [request])
        frames = [loadgen.ws_frame(body.encode())]
        ws = partial(ws_connect, port, "/ws", None, None)
        out["ws"] = max_then_half(meter, plan, ws, ws, frames)
        targets = [("/ws", b'{"type": "hello"}')] * plan.sockets
        out["sockets"] = asyncio.run(open_idle_sockets(process.pid, port, targets, b"seq", 100))
        out["rss_end_kb"] = servers.rss_kb(process.pid)
        return out
    finally:
        servers.stop(process)


class Botdesk:
    """One botdesk node (`botdesk serve`) on a fresh database, and the calls that set up load."""

    def __init__(self, kind: str, work: Path, plan: Plan) -> None:
        self.kind, self.plan, self.port = kind, plan, PORTS[kind]
        data = work / kind
        data.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOTDESK_")}
        env |= {
            "BOTDESK_ENVIRONMENT": "development",
            "BOTDESK_DATA_DIR": str(data),
            "BOTDESK_MASTER_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "BOTDESK_BASE_URL": f"http://127.0.0.1:{self.port}",
        }
        env |= servers.raised_rate_limits()
        if kind == "postgres":
            env["BOTDESK_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{PG_DATABASE}"
            env["BOTDESK_REDIS_URL"] = REDIS_URL
        else:
            env["BOTDESK_DATABASE_URL"] = f"sqlite:///{data / 'botdesk.db'}"
        self.env, self.log = env, data / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.cookie = self.csrf = ""

    def start(self) -> dict[str, Any]:
        bin_ = str(servers.VENV_BIN / "botdesk")
        servers.run_checked([bin_, "migrate"], self.env)
        servers.run_checked([bin_, "demo"], self.env)
        argv = [bin_, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = servers.start(argv, self.env, self.log, SERVER_CPU, NICE)
        ready = servers.wait_ready(self.port, "/readyz", self.process, 60)
        return {
            "pid_cpus": servers.cpus_allowed(self.process.pid),
            "ready_s": round(ready, 2),
            "rss_after_start_kb": servers.rss_kb(self.process.pid),
        }

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
        """One setup call (blocking, bounded)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.plan.timeout_s)
        try:
            data = None if body is None else json.dumps(body).encode()
            head = {"Content-Type": "application/json"} | {
                k.replace("_", "-"): v for k, v in headers.items()
            }
            conn.request(method, path, body=data, headers=head)
            answer = conn.getresponse()
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
        finally:
            conn.close()

    def sign_in_agent(self) -> None:
        from botdesk.web.console import COOKIE, LOGIN_COOKIE, csrf_token

        # The sign-in form first, as a browser: its login-CSRF cookie and token.
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.plan.timeout_s)
        conn.request("GET", "/console/login")
        page = conn.getresponse()
        html = page.read().decode()
        secret = ""
        for cookie in page.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            if name.strip() == LOGIN_COOKIE:
                secret = rest.split(";")[0]
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
        form = urllib.parse.urlencode(
            {"email": AGENT[0], "password": AGENT[1], "csrf": found.group(1) if found else ""}
        )
        conn.request(
            "POST",
            "/console/login",
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"{LOGIN_COOKIE}={secret}",
            },
        )
        answer = conn.getresponse()
        answer.read()
        conn.close()
        for cookie in answer.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            if name.strip() == COOKIE and rest.split(";")[0]:
                self.cookie = rest.split(";")[0]
        if not self.cookie:
            raise RuntimeError(f"agent sign-in failed ({answer.status})")
        self.csrf = csrf_token(self.cookie)

    def agent_headers(self) -> dict[str, str]:
        return {
            "Cookie": f"botdesk_console={self.cookie}",
            "X-CSRF-Token": self.csrf,
            "Content-Type": "application/json",
        }

    def hand_to_agent(self, conversation: tuple[str, str]) -> bool:
        """Visitor asks for a person and sends the form; the agent accepts."""
        cid, token = conversation
        bearer = f"Bearer {token}"
        base = f"/api/v1/conversations/{cid}/handover"
        status, _ = self.call("POST", base, Authorization=bearer)
        form = {"email": "load.test@example.com", "topic": "order", "consent": True}
        status2, answer = self.call("POST", base + "/form", form, Authorization=bearer)
        if status != 200 or status2 != 200 or (answer or {}).get("status") != "queued":
            return False
        accepted, _ = self.call(
            "POST", f"/console/api/conversations/{cid}/accept", {}, **self.agent_headers()
        )
        return accepted == 200

    def stop(self) -> None:
        if self.process is not None:
            servers.stop(self.process)


def start_requests(n: int) -> list[bytes]:
    body = json.dumps({"language": LANGUAGE}).encode()
    request = loadgen.http_request(
        "POST", "/api/v1/tenants/demo/conversations", body, {"Content-Type": "application/json"}
    )
    return [request] * n


def conversations_from(answers: list[tuple[int, bytes]]) -> list[tuple[str, str]]:
    found = []
    for status, body in answers:
        if status == 201:
            data = json.loads(body)
            found.append((data["conversation"]["id"], data["visitor_token"]))
    return found


def visitor_message(conversation: tuple[str, str], text: str) -> bytes:
    cid, token = conversation
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({"text": text}).encode()
    return loadgen.http_request("POST", f"/api/v1/conversations/{cid}/messages", body, headers)


def run_botdesk(kind: str, plan: Plan, work: Path, profile: bool) -> dict[str, Any]:
    node = Botdesk(kind, work, plan)
    out: dict[str, Any] = {}
    try:
        out["start"] = node.start()
        meter = servers.CpuMeter(roles(node.pid))
        http = partial(loadgen.connect_http, node.port)

        def burst() -> dict[str, Any]:
            result, answers = asyncio.run(
                loadgen.requests_with_concurrency(
                    node.port, start_requests(plan.burst), plan.burst_clients, 30.0
                )
            )
            return {**result.summary(), "conversations": conversations_from(answers)}

        out["burst"] = phase(meter, burst, summarise=False)
        conversations: list[tuple[str, str]] = out["burst"].pop("conversations")
        out["rss_after_burst_kb"] = servers.rss_kb(node.pid)
        needed = plan.bot_conversations + plan.nobot_conversations
        if len(conversations) < needed:  # the burst failed: make the rest calmly
            more = asyncio.run(
                loadgen.requests_with_concurrency(
                    node.port, start_requests(needed - len(conversations)), 4, 30.0
                )
            )
            conversations += conversations_from(more[1])
        bot_set = conversations[: plan.bot_conversations]
        nobot_set = conversations[plan.bot_conversations : needed]

        # The bot path. One message first warms the tenant's bot (loaded from the database).
        node.call("POST", f"/api/v1/conversations/{bot_set[0][0]}/messages", {"text": "hei"},
                  Authorization=f"Bearer {bot_set[0][1]}")  # fmt: skip
        bot_requests = [
            visitor_message(c, BOT_MESSAGES[(i + j) % len(BOT_MESSAGES)])
            for j in range(len(BOT_MESSAGES))
            for i, c in enumerate(bot_set)
        ]
        out["bot_path"] = max_then_half(meter, plan, http, http, bot_requests)
        if profile:
            out["bot_path"]["profile"] = profile_run(node.pid, node.port, plan, bot_requests, work)

        # The message path without the bot: a shopper and an agent write alternately.
        node.sign_in_agent()
        node.call("POST", "/console/api/presence", {"status": "online"}, **node.agent_headers())
        handed = [c for c in nobot_set if node.hand_to_agent(c)]
        out["handed_to_agent"] = {"asked": len(nobot_set), "with_agent": len(handed)}
        nobot_requests: list[bytes] = []
        for round_ in range(4):
            for c in handed:
                nobot_requests.append(visitor_message(c, f"Any news on my order? ({round_})"))
                nobot_requests.append(
                    loadgen.http_request(
                        "POST",
                        f"/console/api/conversations/{c[0]}/messages",
                        json.dumps({"text": "I am checking it now, one moment."}).encode(),
                        node.agent_headers(),
                    )
                )
        if nobot_requests:
            out["nobot_path"] = max_then_half(meter, plan, http, http, nobot_requests)
            if profile:
                out["nobot_path"]["profile"] = profile_run(
                    node.pid, node.port, plan, nobot_requests, work
                )

        out["sockets"] = idle_sockets(node, plan, meter, conversations)
        out["rss_end_kb"] = servers.rss_kb(node.pid)
        return out
    finally:
        node.stop()
        out["server_log_tail"] = _tail(node.log)
        out["server_log_errors"] = _log_errors(node.log)


def idle_sockets(
    node: Botdesk, plan: Plan, meter: servers.CpuMeter, conversations: list[tuple[str, str]]
) -> dict[str, Any]:
    """One socket per conversation, making conversations within a time budget; else several."""
    want = plan.sockets - len(conversations)
    created: dict[str, Any] = {}
    if want > 0:
        began = time.monotonic()
        result, answers = asyncio.run(
            loadgen.requests_with_concurrency(
                node.port,
                start_requests(want),
                32,
                30.0,
                deadline=time.monotonic() + plan.conversation_budget_s,
            )
        )
        conversations = conversations + conversations_from(answers)
        created = {
            **{k: v for k, v in result.summary().items() if k in ("ok", "failed", "p99_ms")},
            "wall_s": round(time.monotonic() - began, 1),
        }
    targets = [
        (
            f"/api/v1/conversations/{cid}/stream",
            json.dumps({"type": "hello", "token": token, "after": 0}).encode(),
        )
        for cid, token in (conversations[i % len(conversations)] for i in range(plan.sockets))
    ]
    per_conversation = plan.sockets / max(1, min(plan.sockets, len(conversations)))
    opened = phase(
        meter,
        lambda: asyncio.run(open_idle_sockets(node.pid, node.port, targets, b'"ready"', 100)),
        summarise=False,
    )
    return {
        **opened,
        "conversations_created": created,
        "sockets_per_conversation": round(per_conversation, 2),
    }


def profile_run(
    pid: int, port: int, plan: Plan, requests: list[bytes], work: Path
) -> dict[str, Any]:
    """py-spy on the server during an extra closed-loop run (the measured runs stay clean)."""
    spy = shutil.which("py-spy", path=f"{servers.VENV_BIN}:{os.environ.get('PATH', '')}")
    if spy is None:
        return {"error": "py-spy is not installed (.venv/bin/pip install py-spy)"}
    raw = work / f"profile-{pid}-{time.monotonic_ns()}.txt"
    argv = [spy, "record", "--pid", str(pid), "--duration", str(int(plan.profile_s))]
    argv += ["--rate", "200", "--nonblocking", "--format", "raw", "--output", str(raw)]
    spy_process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_pin_load
    )
    time.sleep(1.0)
    asyncio.run(
        loadgen.run_load(
            partial(loadgen.connect_http, port),
            requests,
            connections=plan.max_connections,
            duration=plan.profile_s - 1.5,
            rate=None,
            request_timeout=plan.timeout_s,
        )
    )
    try:
        spy_process.wait(plan.profile_s + 20)
    except subprocess.TimeoutExpired:
        spy_process.kill()
        return {"error": "py-spy did not finish"}
    if not raw.exists():
        return {"error": "py-spy wrote no profile"}
    return load_report.summarise_profile(raw.read_text())


def _pin_load() -> None:
    os.sched_setaffinity(0, {LOAD_CPU})
    os.setpriority(os.PRIO_PROCESS, 0, NICE)


def _tail(path: Path, lines: int = 5) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def _log_errors(path: Path, keep: int = 5) -> dict[str, Any]:
    """How many ERROR lines the server logged, and the first few distinct exception lines."""
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return {}
    errors = [line for line in lines if " ERROR " in line]
    raised = [line.strip() for line in lines if re.match(r"^\w[\w.]*(Error|Exception): ", line)]
    distinct = list(dict.fromkeys(line[:200] for line in raised))[:keep]
    return {"error_lines": len(errors), "exceptions": distinct}


def bot_cost(plan: Plan) -> dict[str, Any]:
    argv = [str(servers.VENV_BIN / "python"), str(Path(__file__).parent / "load_bot.py")]
    argv += ["--messages", str(plan.bot_cost_messages), "--conversations", "50"]
    done = subprocess.run(
        ["taskset", "-c", str(SERVER_CPU), "nice", "-n", str(NICE), *argv],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def postgres_database(create: bool) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        if create:
            conn.execute(f"CREATE DATABASE {PG_DATABASE}")


def machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    import uvicorn

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "uvicorn": uvicorn.__version__,
        "kernel": platform.release(),
        "load_average_at_start": Path("/proc/loadavg").read_text().split()[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and fast (smoke test)")
    parser.add_argument("--only", choices=["sqlite", "postgres", "refs"])
    parser.add_argument("--profile", action="store_true", help="py-spy the bot and no-bot paths")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "reports")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    # The generator gets CPU 1; the servers under test get CPU 0 (set in their children).
    os.sched_setaffinity(0, {LOAD_CPU})
    os.setpriority(os.PRIO_PROCESS, 0, NICE)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(servers.NOFILE, hard), hard))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    pinned = servers.pin_services(LOAD_CPU, NICE, ("postgres", "redis-server"))
    began = time.monotonic()
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "plan": asdict(plan),
        "machine": machine(),
        "pinning": {"server": SERVER_CPU, "generator_postgres_redis": LOAD_CPU, "nice": NICE},
    }
    kinds = [args.only] if args.only else ["refs", "sqlite", "postgres"]
    work = Path(tempfile.mkdtemp(prefix="botdesk-load-"))
    try:
        report["bot_cost"] = bot_cost(plan) if set(kinds) & {"sqlite", "postgres"} else None
        for kind in kinds:
            print(f"[{time.monotonic() - began:6.0f} s] {kind}", file=sys.stderr, flush=True)
            try:
                if kind == "refs":
                    report["refs"] = run_refs(plan, work)
                else:
                    if kind == "postgres":
                        postgres_database(create=True)
                    report[kind] = run_botdesk(kind, plan, work, args.profile)
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                report[kind] = {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        servers.restore_services(pinned)
        if "postgres" in kinds:
            postgres_database(create=False)
        shutil.rmtree(work, ignore_errors=True)
    report["wall_s"] = round(time.monotonic() - began, 1)
    stem = "load" if not (args.quick or args.only) else "load-quick"
    args.out.mkdir(parents=True, exist_ok=True)
    markdown = load_report.render(report)
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"{stem}.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
