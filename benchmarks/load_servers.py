"""Servers under test for `benchmarks/load.py`, and how their processes are started and watched.

Run as a script it is the reference server: a bare ASGI app on plain uvicorn (no framework)
with `POST /echo` (JSON in, JSON out), `POST /commit` (one durable SQLite commit per request) and
the WebSocket `/ws` (one durable SQLite commit per message, answered with its seq). SQLite runs
in WAL mode with synchronous=NORMAL, as botdesk's own SQLite does.

    python benchmarks/load_servers.py --port 8101 --db /tmp/ref.db
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def raised_rate_limits() -> dict[str, str]:
    """Environment that lifts botdesk's rate limits for a benchmark's nodes.

    Every simulated shopper comes from 127.0.0.1, so the per-address limits would stop the load
    at 20 conversations a minute. Benchmarks measure the serving core and the bot; the limits
    themselves are proven by the suite (tests/test_rate_limits.py).
    """
    from botdesk.rate_limits import Limit

    return {f"BOTDESK_{limit.setting.upper()}": "100000000/minute" for limit in Limit}


VENV_BIN = ROOT / ".venv" / "bin"
NOFILE = 20_000
CLK_TCK = os.sysconf("SC_CLK_TCK")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class ReferenceApp:
    """The bare ASGI reference: no routing library, no validation, one SQLite connection."""

    def __init__(self, db_path: str) -> None:
        self.db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)"
        )

    def commit(self, body: str) -> int:
        cursor = self.db.execute("BEGIN IMMEDIATE")
        cursor = self.db.execute("INSERT INTO messages (body) VALUES (?)", (body,))
        self.db.execute("COMMIT")
        return int(cursor.lastrowid or 0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":  # lifespan is switched off in main()
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        status = 200
        answer: dict[str, Any] = {"ok": True}
        try:
            data = json.loads(body) if body else {}
            if scope["path"] == "/echo":
                answer = {"echo": data}
            elif scope["path"] == "/commit":
                answer = {"seq": self.commit(json.dumps(data))}
            elif scope["path"] != "/healthz":
                status, answer = 404, {"error": "not found"}
        except ValueError:
            status, answer = 422, {"error": "invalid json"}
        payload = json.dumps(answer).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(payload)),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

    async def _websocket(self, receive: Receive, send: Send) -> None:
        while True:
            event = await receive()
            if event["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
            elif event["type"] == "websocket.receive":
                text = event.get("text") or (event.get("bytes") or b"").decode()
                seq = self.commit(text)
                await send({"type": "websocket.send", "text": json.dumps({"seq": seq})})
            else:
                return


def _limits_and_pin(cpu: int | None, nice: int) -> Callable[[], None]:
    def apply() -> None:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = NOFILE if hard == resource.RLIM_INFINITY else min(NOFILE, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})

    return apply


def start(
    argv: list[str], env: dict[str, str], log: Path, cpu: int | None = None, nice: int = 0
) -> subprocess.Popen[bytes]:
    """Start a server process (pinned to `cpu`, at `nice`, file limit raised); log to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            argv,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_limits_and_pin(cpu, nice),
            cwd=ROOT,
        )


def run_checked(argv: list[str], env: dict[str, str], timeout: float = 300.0) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def wait_ready(port: int, path: str, process: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until GET `path` answers 200; raises if the process dies or time runs out."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
                if answer.status == 200:
                    return time.monotonic() - began
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server on port {port} not ready after {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def rss_kb(pid: int) -> int:
    """Resident memory of one process, from /proc/PID/status (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpus_allowed(pid: int) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    return "?"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (all its threads), from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def pids_named(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _cpu_times() -> dict[str, tuple[int, int]]:
    """Per CPU (busy, total) jiffies from /proc/stat."""
    out = {}
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("cpu") and line[3:4].isdigit():
            name, *values = line.split()
            numbers = [int(v) for v in values]
            idle = numbers[3] + numbers[4]
            out[name] = (sum(numbers) - idle, sum(numbers))
    return out


class CpuMeter:
    """CPU used by each role (percent of one core) between start() and stop()."""

    def __init__(self, roles: dict[str, Callable[[], list[int]]]) -> None:
        self.roles = roles
        self._before: dict[str, dict[int, float]] = {}
        self._cpus: dict[str, tuple[int, int]] = {}
        self._t = 0.0

    def start(self) -> None:
        self._t = time.monotonic()
        self._cpus = _cpu_times()
        self._before = {
            role: {pid: cpu_seconds(pid) for pid in pids()} for role, pids in self.roles.items()
        }

    def stop(self) -> dict[str, float]:
        wall = max(1e-6, time.monotonic() - self._t)
        used: dict[str, float] = {}
        for role, pids in self.roles.items():
            before = self._before.get(role, {})
            total = sum(cpu_seconds(pid) - before.get(pid, 0.0) for pid in pids())
            used[f"{role}_cpu_pct"] = round(100 * max(0.0, total) / wall, 1)
        cpus = _cpu_times()
        for name, (busy, total) in cpus.items():
            b0, t0 = self._cpus.get(name, (busy, total))
            used[f"{name}_busy_pct"] = round(100 * (busy - b0) / max(1, total - t0), 1)
        return used


def pin_services(cpu: int, nice: int, names: tuple[str, ...]) -> dict[int, tuple[set[int], int]]:
    """Pin every thread of the named processes to `cpu` at `nice`; returns what to restore."""
    saved: dict[int, tuple[set[int], int]] = {}
    for name in names:
        for pid in pids_named(name):
            for task in Path(f"/proc/{pid}/task").iterdir():
                tid = int(task.name)
                try:
                    saved[tid] = (os.sched_getaffinity(tid), os.getpriority(os.PRIO_PROCESS, tid))
                    os.sched_setaffinity(tid, {cpu})
                    os.setpriority(os.PRIO_PROCESS, tid, nice)
                except OSError:
                    continue
    return saved


def restore_services(saved: dict[int, tuple[set[int], int]]) -> None:
    for tid, (cpus, nice) in saved.items():
        try:
            os.sched_setaffinity(tid, cpus)
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        except OSError:
            continue


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="The bare ASGI reference server.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    uvicorn.run(
        ReferenceApp(args.db),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
