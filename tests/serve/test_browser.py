"""The dashboard in a real browser against the real service: Playwright drives Debian's
chromium (headless, never downloaded) at `flashguard serve may6 --speed 30`.

A risk manager signs in, sees the simulated clock and the price chart move, waits for the
market maker's quotes to show as open orders, presses the kill switch, is asked to confirm
(nothing is engaged before that), gives a reason, confirms, and sees the kill switch ENGAGED
with the reason, the open orders fall to zero and stay there, and the API agrees. A viewer
sees the controls disabled, and the command path refuses them (403).

The screenshot goes to the test's directory and, when FLASHGUARD_SCREENSHOT_DIR is set, there.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
RM_TOKEN = "browser-rm-token-0123456789"
VIEWER_TOKEN = "browser-viewer-token-0123456789"
TOKENS = f"""
[[token]]
name = "risk-officer"
role = "risk-manager"
token = "{RM_TOKEN}"

[[token]]
name = "watcher"
role = "viewer"
token = "{VIEWER_TOKEN}"
"""
START_TIMEOUT_S = 90.0  # two busy cores: building the run and binding the port
UI_TIMEOUT_MS = 30_000
SCREEN = {"width": 1680, "height": 1050}


@dataclass
class Service:
    url: str
    log: Path
    proc: subprocess.Popen[bytes]

    def get(self, path: str, token: str = RM_TOKEN) -> Any:
        r = httpx.get(self.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        r.raise_for_status()
        return r.json()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _require_chromium() -> None:
    if CHROMIUM.is_file():
        return
    message = (f"{CHROMIUM} is missing: the browser test drives Debian's chromium "
               "(apt-get install chromium), never a downloaded one")
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    _require_chromium()
    exe = Path(sys.executable).parent / "flashguard"
    if not exe.is_file():
        pytest.fail(f"the flashguard console script is missing next to the interpreter: {exe}")
    base = tmp_path_factory.mktemp("serve")
    tokens = base / "tokens.toml"
    tokens.write_text(TOKENS, encoding="utf-8")
    port = _free_port()
    log = base / "serve.log"
    cmd = [str(exe), "serve", "may6", "--seed", "1", "--speed", "30", "--host", "127.0.0.1",
           "--port", str(port), "--journal", str(base / "j"), "--tokens", str(tokens)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    svc = Service(f"http://127.0.0.1:{port}", log, proc)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"flashguard serve exited ({proc.returncode}):\n{log.read_text()}")
            try:
                if svc.get("/api/status")["state"] == "running":
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"flashguard serve did not answer in {START_TIMEOUT_S:.0f} s:\n"
                            f"{log.read_text()}")
            time.sleep(0.2)
        yield svc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(service: Service) -> Iterator[Any]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=UI_TIMEOUT_MS)  # two busy cores: wait on conditions, generously
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser: Any, service: Service, token: str) -> tuple[Any, list[str]]:
    """A signed-in page, and the list its uncaught script errors go to."""
    page = browser.new_page(viewport=SCREEN)
    page.set_default_timeout(UI_TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(service.url + "/")
    page.get_by_test_id("login-token").fill(token)
    page.get_by_test_id("login-submit").click()
    return page, errors


def _sim_seconds(text: str) -> int:
    h, m, s = (int(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


def _save_screenshot(page: Any, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("FLASHGUARD_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)


def test_viewer_sees_but_cannot_kill(browser: Any, service: Service, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    engaged_before = service.get("/api/status")["kill_switch"]["engaged"]
    page, errors = _open(browser, service, VIEWER_TOKEN)
    expect(page.get_by_test_id("user-name")).to_have_text("watcher")
    expect(page.get_by_test_id("user-role")).to_have_text("viewer")
    expect(page.get_by_test_id("sim-time")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))

    kill = page.get_by_test_id("kill-button")
    expect(kill).to_be_disabled()
    expect(page.locator("#kill-viewer-note")).to_be_visible()
    # the strategies are listed, without halt/resume buttons; reset is not offered either
    expect(page.locator("#strategies tr[data-strategy]").first).to_be_visible()
    expect(page.locator("#strategies button")).to_have_count(0)
    expect(page.get_by_test_id("reset-button")).to_be_hidden()

    # a click on the disabled button does nothing
    kill.click(force=True)
    expect(page.get_by_test_id("modal")).to_be_hidden()
    # and the command path itself, opened from the page's script, is refused by the API
    page.evaluate("askKill()")
    expect(page.get_by_test_id("modal")).to_be_visible()
    page.get_by_test_id("modal-reason").fill("a viewer trying")
    page.get_by_test_id("modal-confirm").click()
    expect(page.get_by_test_id("modal-error")).to_contain_text("403")
    status = page.evaluate(
        """async (token) => (await fetch('/api/kill', {method: 'POST',
             headers: {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/json'},
             body: JSON.stringify({reason: 'a viewer trying'})})).status""",
        VIEWER_TOKEN,
    )
    assert status == 403
    assert service.get("/api/status")["kill_switch"]["engaged"] == engaged_before
    _save_screenshot(page, tmp_path / "dashboard-viewer.png")
    assert errors == []
    page.close()


def test_kill_switch_from_the_dashboard(browser: Any, service: Service, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page, errors = _open(browser, service, RM_TOKEN)
    expect(page.get_by_test_id("user-name")).to_have_text("risk-officer")
    expect(page.get_by_test_id("user-role")).to_have_text("risk-manager")

    # live updates: the simulated clock moves, and the price chart receives new points
    clock = page.get_by_test_id("sim-time")
    expect(clock).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    first = clock.inner_text()
    page.wait_for_function(
        "t => document.querySelector('[data-testid=sim-time]').textContent !== t", arg=first
    )
    assert _sim_seconds(clock.inner_text()) > _sim_seconds(first)
    chart = page.get_by_test_id("price-chart")
    page.wait_for_function("() => +document.getElementById('price-chart').dataset.points > 0")
    points = int(chart.get_attribute("data-points") or 0)
    page.wait_for_function(
        "n => +document.getElementById('price-chart').dataset.points > n", arg=points
    )

    # the market maker quotes from the start
    count = page.get_by_test_id("open-orders-count")
    page.wait_for_function(
        "() => +document.getElementById('open-orders-count').textContent > 0", timeout=60_000
    )
    state = page.get_by_test_id("kill-state")
    expect(state).to_have_attribute("data-engaged", "false")

    # the kill switch asks first
    page.get_by_test_id("kill-button").click()
    modal = page.get_by_test_id("modal")
    expect(modal).to_be_visible()
    expect(modal).to_have_attribute("data-action", "kill")
    expect(page.get_by_test_id("modal-title")).to_have_text("Engage the kill switch?")
    expect(page.get_by_test_id("modal-text")).to_contain_text(
        "This cancels every open order on every venue and blocks all new orders."
    )
    confirm = page.get_by_test_id("modal-confirm")
    expect(confirm).to_be_disabled()  # a reason is required
    assert service.get("/api/status")["kill_switch"]["engaged"] is False
    expect(state).to_have_attribute("data-engaged", "false")

    # an operator's words reach every screen: markup in them must show as text, never run
    reason = "browser test: manual oversight <b>during</b> the halt <img src=x onerror=alert(1)>"
    page.get_by_test_id("modal-reason").fill(reason)
    expect(confirm).to_be_enabled()
    confirm.click()

    # the page shows it engaged, by whom and why; the orders go to zero and stay there
    expect(modal).to_be_hidden(timeout=10_000)
    expect(state).to_have_attribute("data-engaged", "true", timeout=10_000)
    expect(state).to_have_text("ENGAGED")
    expect(page.get_by_test_id("kill-banner")).to_be_visible()
    expect(page.get_by_test_id("kill-reason")).to_contain_text(reason)  # the gate adds "manual: "
    expect(page.get_by_test_id("kill-by")).to_have_text("risk-officer")
    expect(page.get_by_test_id("mode-badge")).to_have_text("killed", timeout=10_000)
    expect(page.get_by_test_id("kill-button")).to_be_disabled()
    expect(count).to_have_text("0", timeout=15_000)
    killed_at = _sim_seconds(clock.inner_text())
    page.wait_for_function(
        """t => { const [h, m, s] = document.querySelector('[data-testid=sim-time]')
                    .textContent.split(':').map(Number); return h * 3600 + m * 60 + s >= t; }""",
        arg=killed_at + 30,
    )
    expect(count).to_have_text("0")

    # the journal's own account reaches the timeline over the event stream
    timeline = page.get_by_test_id("timeline")
    expect(timeline.locator("li[data-type=operator]").first).to_contain_text(reason)
    assert page.locator("#timeline img, [data-testid=kill-reason] b, "
                        "[data-testid=kill-reason] img").count() == 0  # shown, not parsed
    expect(timeline.locator("li", has_text="KILL SWITCH ENGAGED").first).to_be_visible()

    # and the API agrees
    ks = service.get("/api/status")["kill_switch"]
    assert ks["engaged"] is True
    assert ks["by"] == "risk-officer"
    assert reason in ks["reason"]
    assert service.get("/api/orders")["open"] == 0

    shot = tmp_path / "dashboard.png"
    _save_screenshot(page, shot)
    assert shot.is_file()
    assert shot.stat().st_size > 20_000, f"{shot}: {shot.stat().st_size} bytes"

    # a reset asks for a reason too; it is released now, or pending the cool-down after a
    # venue's reopen, and the page says which
    page.get_by_test_id("reset-button").click()
    expect(modal).to_have_attribute("data-action", "reset")
    expect(confirm).to_be_disabled()
    page.get_by_test_id("modal-reason").fill("browser test: oversight handed back")
    confirm.click()
    expect(modal).to_be_hidden(timeout=10_000)
    page.wait_for_function(
        """() => document.querySelector('[data-testid=kill-state]').dataset.engaged === 'false'
                 || !document.querySelector('[data-testid=reset-pending]').hidden"""
    )
    if page.get_by_test_id("kill-state").get_attribute("data-engaged") == "true":
        expect(page.get_by_test_id("reset-pending")).to_contain_text(
            "pending until the cool-down ends")
        pending = service.get("/api/status")["kill_switch"]["reset_pending"]
        assert pending is None or pending["by"] == "risk-officer"  # None: released since
    else:
        expect(page.get_by_test_id("kill-banner")).to_be_hidden()
        assert service.get("/api/status")["kill_switch"]["engaged"] is False
    assert errors == []
    page.close()
