"""Running the `botdesk` command as operators do.

`run` calls the command in this process through Click's test runner: the same argument parsing,
configuration from the environment, output streams and exit codes as `botdesk ARGS`, without
paying a Python start-up (seconds, with numpy and scikit-learn) per call. An exception the
command does not turn into a clean exit propagates and fails the test, where a subprocess would
print a traceback and exit 1. What only a real process shows (the entry point itself, start-up
and shutdown of `serve` and `worker`, signals, streaming stdin) is tested with `BOTDESK` as a
subprocess.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner
from typer.main import get_command

from botdesk.settings import generate_master_key

BOTDESK = [sys.executable, "-m", "botdesk"]


def cli_environment(database_url: str, data_dir: Path) -> dict[str, str]:
    """This process's environment minus any BOTDESK_* setting, plus a fresh configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTDESK_")}
    env.update(
        BOTDESK_ENVIRONMENT="development",
        BOTDESK_DATABASE_URL=database_url,
        BOTDESK_DATA_DIR=str(data_dir),
        BOTDESK_MASTER_KEY=generate_master_key(),
    )
    return env


@functools.cache
def _command() -> click.Command:
    from botdesk.cli import app

    return get_command(app)


def run(
    env: dict[str, str] | None, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`botdesk ARGS` with `env` as its whole environment (None: this process's), in-process."""
    overrides: dict[str, str | None] = {}
    if env is not None:
        # As for a subprocess given `env`: BOTDESK_* settings it lacks are unset, not inherited.
        overrides = {name: None for name in os.environ if name not in env}
        overrides.update({k: v for k, v in env.items() if os.environ.get(k) != v})
    result = CliRunner().invoke(
        _command(),
        list(args),
        input=stdin,
        env=overrides,
        prog_name="botdesk",
        catch_exceptions=False,
    )
    return subprocess.CompletedProcess(
        ["botdesk", *args], result.exit_code, result.stdout, result.stderr
    )


def run_process(
    env: dict[str, str] | None, *args: str, stdin: str | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m botdesk ARGS` as a real subprocess."""
    return subprocess.run(
        [*BOTDESK, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
