"""Running the `botdesk` command as operators do: a subprocess with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def run(
    env: dict[str, str] | None, *args: str, stdin: str | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BOTDESK, *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
