"""The camera on the scan screen stops while the phone is locked (the page hidden) and opens
again when the screen is back: no camera left running in a pocket at 2 a.m.

A module of its own: its phone is a fake-camera Chromium (``camera_phone``), which cannot
run beside the other modules' shared browser in one thread."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.conftest import Server
from tests.e2e.patrol_camera import scanner_cached
from tests.e2e.seed import PATROL_ROUTE

LIVE_TRACK = """() => {
  const v = document.querySelector('.scanner video');
  const t = v && v.srcObject && v.srcObject.getVideoTracks()[0];
  return !!t && t.readyState === 'live' && t !== window.__before;
}"""
SET_VISIBILITY = """(state) => {
  Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => state});
  document.dispatchEvent(new Event('visibilitychange'));
}"""


def _grey_y4m(path: Path, frames: int = 4) -> Path:
    """A fake camera showing nothing to decode (a grey wall)."""
    w, h = 640, 480
    frame = b"FRAME\n" + bytes([128]) * (w * h + 2 * (w // 2) * (h // 2))
    path.write_bytes(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420\n".encode() + frame * frames)
    return path


def test_the_camera_stops_while_the_phone_is_locked(
        camera_phone: Any, server: Server, tmp_path: Path) -> None:
    (round_id,) = server.query(
        "select r.id from patrol_round r join patrol_route t on t.id = r.route"
        " where t.name = ? and r.unscheduled = 0", PATROL_ROUTE)[0]
    phone = camera_phone.launch(_grey_y4m(tmp_path / "grey.y4m"), offline=False)
    phone.sign_in("guard")
    scanner_cached(phone)
    phone.offline()
    page = phone.page
    phone.goto(f"/m/patrol/rounds/{round_id}")
    page.click("#scan-qr")
    page.wait_for_function(LIVE_TRACK)
    page.evaluate("() => { window.__before = document.querySelector('.scanner video')"
                  ".srcObject.getVideoTracks()[0]; }")
    page.evaluate(SET_VISIBILITY, "hidden")
    page.wait_for_function("() => window.__before.readyState === 'ended'", timeout=3000)
    page.wait_for_timeout(400)  # hidden a while: nothing opens the camera again
    assert page.evaluate("() => document.querySelector('.scanner video').srcObject"
                         ".getVideoTracks()[0] === window.__before")
    page.evaluate(SET_VISIBILITY, "visible")
    page.wait_for_function(LIVE_TRACK, timeout=5000)  # back: a new stream
    assert not phone.errors, phone.errors
