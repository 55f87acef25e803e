"""The office's list of devices in real Chromium: what a phone reports on its syncs — the
build of its app, and how many of its records the server has not yet accepted — after a
key lent offline, while its signal drops every pull, and once it syncs in full.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.e2e.conftest import Office, Phone, Phones, Server
from tests.e2e.helpers import READ_SESSION
from tests.e2e.network import NetworkSwitch
from tests.e2e.test_screens import _axe

KEY = "HYG-K016"  # no other browser test lends it
PULL = b"POST /api/v1/sync/pull "


class PullDroppingSwitch(NetworkSwitch):
    """The phone's network switch, which can also lose every pull on the way: the
    connection is cut before the request reaches the server (a signal that drops in the
    middle of a sync, after the push went through)."""

    drop_pulls = False

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            to_server = dst.getpeername()[1] == self.target[1]
        except OSError:
            to_server = False
        if not to_server:
            super()._pump(src, dst)
            return
        try:
            while True:
                data = src.recv(65536)
                if not data or (self.drop_pulls and PULL in data):
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
                with self._lock:
                    self._open.discard(s)


def _with_dropping_switch(phone: Phone) -> PullDroppingSwitch:
    phone.network.close()
    switch = PullDroppingSwitch(phone.server.port)
    phone.network = switch
    phone.base = f"http://127.0.0.1:{switch.port}"
    return switch


def _wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _row_text(page: Any, device_id: str) -> str:
    return " ".join(page.inner_text(f"tr[data-device='{device_id}']").split())


def test_the_office_sees_what_a_phone_still_has_to_send(
        phones: Phones, server: Server, office: Office) -> None:
    build = re.search(r"^// build (\w+)$", httpx.get(f"{server.url}/sw.js").text, re.M)
    assert build, "the worker names its build"
    phone = phones()
    switch = _with_dropping_switch(phone)
    phone.sign_in("desk")
    device_id = phone.page.evaluate(READ_SESSION)["device_id"]

    def reported() -> tuple[Any, ...]:
        return server.query("select app_version, pending_count from device where id = ?",
                            device_id)[0]

    # the sign-in's sync went through: the app's build, nothing waiting
    _wait_for("the sign-in's report", lambda: reported() == (build.group(1), 0))

    phone.offline()
    consent = server.query("select category from key_tag where code = ?", KEY)[0][0]
    loan = phone.lend(KEY, "報告測試",
                      consent="業主電話同意" if consent == "owner_deposited" else None)
    assert phone.status()["pending"] == "1"
    # back online, but every pull is lost on the way: the push arrives, with one waiting
    switch.drop_pulls = True
    phone.online()
    _wait_for("the push", lambda: server.query(
        "select count(*) from key_loan where id = ?", loan)[0][0] == 1)
    assert reported() == (build.group(1), 1)

    page = office.page
    staff_id = server.query("select id from staff where username = 'desk'")[0][0]
    page.goto(f"{server.url}/office/devices?staff={staff_id}")
    text = _row_text(page, device_id)
    assert "1 waiting to sync" in text and "reported just now" in text, text
    assert build.group(1) in text and "Current version" in text, text
    assert page.locator(f"tr[data-device='{device_id}'] .pending .badge.warn").count() == 1
    assert not _axe(page), _axe(page)

    # the signal holds: the pull goes through and the phone has nothing left to send
    switch.drop_pulls = False
    phone.wait_synced()
    _wait_for("the pull's report", lambda: reported() == (build.group(1), 0))
    page.reload()
    text = _row_text(page, device_id)
    assert "waiting to sync" not in text and "Current version" in text, text
    assert page.inner_text(f"tr[data-device='{device_id}'] .pending").strip() == "0"
    assert not phone.errors, phone.errors
