"""Browser tests in real Chromium (Debian's /usr/bin/chromium) through Playwright's sync API.

A session fixture seeds a temporary SQLite database (the demo estate + a second desk account
+ a 500-key site) and runs the real server (``caretaker run``) in a subprocess on a free port,
with its CSP enforced — the tests never bypass it. Each phone is its own browser context
(its own service worker and IndexedDB) behind its own :class:`NetworkSwitch`, so one phone
can lose its signal while another and the office stay online.

These are plain ``def test_*`` functions: Playwright's sync API must not run inside the
asyncio loop the database tests use.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.network import NetworkSwitch

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests" / "e2e" / "vendor" / "axe-core" / "axe.min.js"
PASSWORD = "caretaker-demo"
TIMEOUT_MS = 30_000

if not Path(CHROMIUM).exists():  # CI always has it (tests/prepare.sh installs it)
    pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str  # direct (the office, and the tests' own API calls)
    port: int
    db_path: Path

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


def _env(db_url: str, code: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": db_url, "CARETAKER_DEMO": "false",
            "CARETAKER_SECRET_KEY": "e2e-secret-" + "x" * 40, "CARETAKER_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(code)}


@contextlib.contextmanager
def run_server(db_path: Path, code: Path, work: Path) -> Iterator[int]:
    """``caretaker run`` of the code in ``code`` on a free port; yields the port."""
    port = _free_port()
    log_path = work / f"server-{port}.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "run", "--host", "127.0.0.1", "--port",
             str(port)], cwd=work, env=_env(f"sqlite:///{db_path}", code), stdout=log,
            stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the test server did not start: "
                                       + log_path.read_text()[-2000:])
                time.sleep(0.2)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    work = tmp_path_factory.mktemp("e2e")
    db_path = work / "caretaker.sqlite3"
    subprocess.run([sys.executable, "-m", "tests.e2e.seed", f"sqlite:///{db_path}"],
                   check=True, cwd=ROOT, env=_env(f"sqlite:///{db_path}", ROOT))
    with run_server(db_path, ROOT, work) as port:
        yield Server(url=f"http://127.0.0.1:{port}", port=port, db_path=db_path)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Per module: while Playwright's sync API is running, its event loop is the thread's
    running loop, and the database tests' asyncio loop could not run after these modules."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Phone:
    """One phone: a browser context at 360 px with its own network switch."""

    def __init__(self, browser: Any, server: Server) -> None:
        self.server = server
        self.network = NetworkSwitch(server.port)
        self.base = f"http://127.0.0.1:{self.network.port}"
        self.context = browser.new_context(
            viewport={"width": 360, "height": 740}, timezone_id="Asia/Hong_Kong",
            locale="zh-HK", has_touch=True)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.errors: list[str] = []
        self.page = self.new_page()

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("console", lambda m: self.errors.append(f"console: {m.text}")
                if m.type == "error" and "net::" not in m.text else None)
        return page

    # --- network --------------------------------------------------------------------------

    def offline(self) -> None:
        self.context.set_offline(True)
        self.network.down()

    def online(self) -> None:
        self.network.up()
        self.context.set_offline(False)

    # --- navigation -----------------------------------------------------------------------

    def goto(self, path: str) -> None:
        """Open a page and wait until the service worker answered it (a first visit gets
        the server's boot page, which reloads itself once the worker is in control)."""
        self.page.goto(self.base + path)
        self.page.wait_for_selector("body:not([data-boot]) #main")

    def sign_in(self, username: str, password: str = PASSWORD, domains: bool = True) -> None:
        page = self.page
        self.goto("/m/signin")
        page.fill("#f-username", username)
        page.fill("#f-password", password)
        page.click("form[action='/m/signin'] button[type=submit]")
        # the first sync shows its progress (pull pages: sent of total); the worker that
        # carries this person's domains takes over (server/app_shell/domain_sets.py) and the
        # page reloads on it; then the home screen
        page.wait_for_selector("#first-sync progress, #sync-status")
        if domains:
            self.wait_domains()
        page.wait_for_function(
            "() => location.pathname === '/m/' && !!document.querySelector('#sync-status')"
            " && document.querySelector('#sync-status').dataset.state !== 'never'")

    def wait_domains(self) -> None:
        """Until the page is controlled by the worker of the domains it was told to carry."""
        self.page.wait_for_function(
            "() => { const c = navigator.serviceWorker.controller;"
            " const want = localStorage.getItem('caretaker.domains');"
            " return !!c && want !== null"
            " && new URL(c.scriptURL).searchParams.get('d') === want; }", timeout=TIMEOUT_MS)

    def status(self) -> dict[str, str]:
        return dict(self.page.eval_on_selector(
            "#sync-status", "el => ({state: el.dataset.state, pending: el.dataset.pending,"
            " text: el.innerText})"))

    def wait_pending(self, n: int, timeout: int = TIMEOUT_MS) -> None:
        self.page.wait_for_function(
            f"() => document.querySelector('#sync-status')?.dataset.pending === '{n}'",
            timeout=timeout)

    def sync_now(self) -> None:
        self.page.click("#sync-status .sync-now")

    def wait_synced(self, timeout: int = TIMEOUT_MS) -> None:
        """Sync now, and wait until that sync has finished with nothing left to send."""
        before = self.page.get_attribute("#sync-status", "data-last-sync") or ""
        self.sync_now()
        self.page.wait_for_function(
            """(before) => {
              const s = document.querySelector('#sync-status');
              return s && s.dataset.state === 'ok' && s.dataset.pending === '0'
                && (s.dataset.lastSync || '') > before;
            }""", arg=before, timeout=timeout)

    # --- key loans ------------------------------------------------------------------------

    def find_key(self, code: str) -> None:
        self.goto(f"/m/keys?q={code}")
        self.page.wait_for_selector(f"li.key-row[data-code='{code}']")

    def sign(self) -> None:
        page = self.page
        pad = page.locator("canvas.signature-pad")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        assert box
        x, y = box["x"], box["y"]
        page.mouse.move(x + 20, y + 40)
        page.mouse.down()
        for i in range(12):
            page.mouse.move(x + 20 + i * 14, y + 40 + (i % 3) * 25)
        page.mouse.up()
        page.wait_for_function(
            "() => document.querySelector('#f-signature_blob').value.length === 64")

    def fill_lend(self, code: str, borrower: str, kind: str = "contractor",
                  consent: str | None = None) -> None:
        page = self.page
        self.find_key(code)
        page.click(f"li.key-row[data-code='{code}'] a[href^='/m/keys/lend']")
        page.wait_for_selector("#lend-form")
        page.fill("#f-borrower_name", borrower)
        page.select_option("#f-borrower_kind", kind)
        page.select_option("#f-id_type", "hkid")
        page.fill("#f-id_last4", "123A")
        page.fill("#f-purpose", "維修水管")
        if consent is not None:
            page.fill("#f-owner_consent", consent)
        self.sign()

    def lend(self, code: str, borrower: str, kind: str = "contractor",
             consent: str | None = None) -> str:
        """Lend through the form; the id of the new loan."""
        self.fill_lend(code, borrower, kind, consent)
        self.page.click("#lend-submit")
        self.page.wait_for_selector("#confirmation")
        return self.page.url.rsplit("/", 1)[-1]

    def close(self) -> None:
        self.context.close()
        self.network.close()


@dataclass
class Phones:
    browser: Any
    server: Server
    made: list[Phone] = field(default_factory=list)

    def __call__(self) -> Phone:
        phone = Phone(self.browser, self.server)
        self.made.append(phone)
        return phone


@pytest.fixture
def phones(browser: Any, server: Server) -> Iterator[Phones]:
    made = Phones(browser, server)
    yield made
    for phone in made.made:
        phone.close()


class Office:
    """The office console on a desktop browser (supervisor ``office``), in English."""

    def __init__(self, browser: Any, server: Server) -> None:
        self.server = server
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           timezone_id="Asia/Hong_Kong")
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.page.on("dialog", lambda d: d.accept())
        page = self.page
        page.goto(server.url + "/lang/en")
        page.goto(server.url + "/login")
        page.fill("#username", "office")
        page.fill("#password", PASSWORD)
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url("**/office**")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def office(browser: Any, server: Server) -> Iterator[Office]:
    o = Office(browser, server)
    yield o
    o.close()


@pytest.fixture
def camera_phone(server: Server, tmp_path: Path) -> Iterator[Any]:
    """A guard's phone with a fake camera (:class:`tests.e2e.patrol_camera.CameraPhone`)."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.patrol_camera import CameraPhone

    with sync_playwright() as p:
        cam = CameraPhone(p, server, tmp_path / "profile")
        try:
            yield cam
        finally:
            cam.close()
            cam.network.close()
