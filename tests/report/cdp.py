"""A small Chrome DevTools Protocol client for the browser test: start headless Chromium,
open a page, collect console errors, evaluate JavaScript, take a full-page screenshot.

Written by hand because it is ~100 lines over ``websocket-client`` and the alternatives
(Playwright, Selenium) download their own browser builds or drivers; the test uses Debian's
``chromium`` package instead (``make browser``).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import websocket

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    """The first Chromium-like executable on PATH, or None."""
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


class CDPError(RuntimeError):
    """A DevTools command failed or the browser did not answer in time."""


class Browser:
    """Headless Chromium driven over one websocket (flattened target sessions).

    Example::

        with Browser() as b:
            page = b.open("file:///tmp/report.html")
            page.evaluate("document.title")
    """

    def __init__(self, executable: str | None = None, timeout: float = 30.0):
        self.executable = executable or find_browser()
        if self.executable is None:
            raise CDPError(f"no browser found (looked for {', '.join(BROWSERS)})")
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="trainwise-cdp-")
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.proc = subprocess.Popen(
            [
                self.executable,
                "--headless=new",
                "--no-sandbox",  # containers run as root, where the sandbox cannot start
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--remote-debugging-port=0",  # any free port, written to DevToolsActivePort
                f"--user-data-dir={self._profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port, path = self._read_port()
            self.ws = websocket.create_connection(
                f"ws://127.0.0.1:{port}{path}", timeout=timeout, suppress_origin=True
            )
        except BaseException:
            self.close()
            raise

    def _read_port(self) -> tuple[str, str]:
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise CDPError(f"{self.executable} exited with code {self.proc.returncode}")
            lines = port_file.read_text().split() if port_file.is_file() else []
            if len(lines) >= 2:
                return lines[0], lines[1]
            time.sleep(0.05)
        raise CDPError("the browser did not open its DevTools port in time")

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send a command and return its result; events read meanwhile go to ``events``."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        while True:
            reply = self._recv()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def wait_for(self, method: str, session: str | None = None) -> dict:
        """Wait for (and return) the first event ``method`` not yet consumed."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for ev in self.events:
                if ev.get("method") == method and ev.get("sessionId") == session:
                    self.events.remove(ev)
                    return ev
            self._recv()
        raise CDPError(f"no {method} event within {self.timeout:g} s")

    def _recv(self) -> dict:
        try:
            msg = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            raise CDPError(f"the browser did not answer within {self.timeout:g} s") from None
        if "method" in msg:
            self.events.append(msg)
        return msg

    def open(self, url: str, width: int = 1400, height: int = 900) -> Page:
        """A new tab showing ``url``, loaded (the load event fired), with console and log
        events recorded from before navigation."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        return Page(self, session)

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                self.send("Browser.close")
            except Exception:  # noqa: BLE001 - closing anyway; the process is killed below
                pass
            ws.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Page:
    """One tab of a :class:`Browser`."""

    def __init__(self, browser: Browser, session: str):
        self.browser, self.session = browser, session

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited); JS exceptions raise."""
        res = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in res:
            raise CDPError(f"JavaScript error: {res['exceptionDetails']}")
        return res["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries (failed loads, CSP...)
        seen so far on this page."""
        out = []
        for ev in self.browser.events:
            if ev.get("sessionId") != self.session:
                continue
            method, p = ev["method"], ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value")) for a in p.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:500])
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                e = p["entry"]
                out.append(f"log: {e.get('text')} {e.get('url', '')}")
        return out

    def screenshot(self) -> bytes:
        """A PNG of the whole page, beyond the viewport."""
        size = self.browser.send("Page.getLayoutMetrics", session=self.session)["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        res = self.browser.send(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": clip},
            session=self.session,
        )
        return base64.b64decode(res["data"])
