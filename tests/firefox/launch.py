"""Debian's Firefox ESR, headless, on a fresh profile, with its WebDriver BiDi endpoint.

The profile's user.js keeps Firefox off the network: no telemetry, studies, updates, safe
browsing lists or remote settings, and every connection that is not to loopback goes to a
proxy that does not exist (Firefox never proxies 127.0.0.1 itself), so a background service
we did not think of fails at once instead of reaching out or hanging a test.

Firefox runs in its own process group, which `stop` kills whole (the parent and its content
processes); Firefox also gets SIGKILL from the kernel if the test process dies first.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

from tests.waits import wait_until

FIREFOX = Path("/usr/bin/firefox-esr")
_LISTENING = re.compile(r"WebDriver BiDi listening on (ws://\S+)")
_NOWHERE = "http://127.0.0.1:1/"  # loopback's port 1: refused at once

PREFS: dict[str, object] = {
    # No telemetry, health reports, studies, experiments or crash reports.
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.archive.enabled": False,
    "toolkit.telemetry.server": _NOWHERE,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "app.shield.optoutstudies.enabled": False,
    "app.normandy.enabled": False,
    "app.normandy.api_url": "",
    "messaging-system.rsexperimentloader.enabled": False,
    "browser.discovery.enabled": False,
    "browser.crashReports.unsubmittedCheck.autoSubmit2": False,
    "breakpad.reportURL": "",
    # No updates of the browser, add-ons, search engines or media plugins.
    "app.update.disabledForTesting": True,
    "app.update.auto": False,
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.blocklist.enabled": False,
    "browser.search.update": False,
    "media.gmp-manager.updateEnabled": False,
    # No background services that phone home.
    "services.settings.server": _NOWHERE,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "dom.push.connection.enabled": False,
    "network.trr.mode": 5,  # no DNS over HTTPS
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.predictor.enabled": False,
    "network.http.speculative-parallel-limit": 0,
    "browser.newtabpage.enabled": False,
    "browser.newtabpage.activity-stream.feeds.system.topstories": False,
    "browser.startup.page": 0,
    "browser.startup.homepage": "about:blank",
    "browser.shell.checkDefaultBrowser": False,
    # Everything but loopback goes to a proxy that is not there.
    "network.proxy.type": 1,
    "network.proxy.http": "127.0.0.1",
    "network.proxy.http_port": 1,
    "network.proxy.ssl": "127.0.0.1",
    "network.proxy.ssl_port": 1,
    "network.proxy.share_proxy_settings": True,
    "network.proxy.allow_hijacking_localhost": False,
    # Downloads land in the profile's folder without asking.
    "browser.download.folderList": 2,
    "browser.download.useDownloadDir": True,
    "browser.download.always_ask_before_handling_new_types": False,
    "browser.download.alwaysOpenPanel": False,
    "browser.download.start_downloads_in_tmp_dir": False,
}


def _user_js(prefs: dict[str, object]) -> str:
    # JSON's literals are JavaScript's: true, false, numbers and quoted strings.
    return "".join(f'user_pref("{name}", {json.dumps(value)});\n' for name, value in prefs.items())


class Firefox:
    """A running headless Firefox; `url` is its BiDi WebSocket (for `session.new`)."""

    def __init__(self, executable: Path = FIREFOX, timeout: float = 30) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="botdesk-firefox-"))
        self.downloads = self.profile / "downloads"
        self.downloads.mkdir()
        prefs = {**PREFS, "browser.download.dir": str(self.downloads)}
        (self.profile / "user.js").write_text(_user_js(prefs), encoding="utf-8")
        self.log: list[str] = []
        self._found: list[str] = []
        self.process = subprocess.Popen(
            [
                # util-linux's setpriv: SIGKILL for Firefox when the test process ends, however
                # it ends (a crash, a kill -9 of the xdist worker), before Firefox even starts.
                "setpriv",
                "--pdeathsig",
                "KILL",
                str(executable),
                "--headless",
                "--no-remote",
                "--profile",
                str(self.profile),
                "--remote-debugging-port",
                "0",  # the kernel picks a free port: xdist workers never clash
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, content processes included
        )
        self._stderr = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr.start()
        try:
            wait_until(
                lambda: self._found or self.process.poll() is not None,
                timeout,
                "Firefox's WebDriver BiDi endpoint",
            )
            if not self._found:
                raise RuntimeError(f"Firefox exited early: {''.join(self.log)[-2000:]}")
        except BaseException:
            self.stop()
            raise
        self.url = self._found[0]

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            if match := _LISTENING.search(line):
                self._found.append(match.group(1))

    def stop(self) -> None:
        """Kill the whole process group (content processes too) and remove the profile.

        SIGKILL, not a polite quit: the profile is thrown away, so there is nothing to save, and
        a browser that hangs on shutdown must not hang the test run.
        """
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._stderr.join(5)
        if self.process.stderr is not None:
            self.process.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)
