"""A fake camera for Chromium: a Y4M video (``--use-file-for-fake-video-capture``) whose frames
show a checkpoint's QR label, as a guard's phone camera would see it.

The QR matrix comes from ``segno`` (no hand-written QR code); the frames are raw YUV 4:2:0
(``C420``: the full-size Y plane, then the quarter-size U and V planes), dark modules at
Y=16 and light ones at Y=235 on a grey background, the label a little off centre.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import segno

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Phone, Server
from tests.e2e.network import NetworkSwitch

WIDTH, HEIGHT = 640, 480
HEADER = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F30:1 Ip A1:1 C420\n".encode()


def qr_frame(text: str, *, size: int = 360, left: int = 150, top: int = 50) -> bytes:
    """One 640×480 C420 frame showing ``text`` as a QR code of about ``size`` pixels."""
    rows = [list(row) for row in segno.make(text, error="m", micro=False).matrix_iter(border=4)]
    scale = max(1, size // len(rows))
    y = bytearray([128]) * (WIDTH * HEIGHT)
    for r, row in enumerate(rows):
        for c, dark in enumerate(row):
            value = 16 if dark else 235
            for dy in range(scale):
                start = (top + r * scale + dy) * WIDTH + left + c * scale
                y[start:start + scale] = bytes([value]) * scale
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    return bytes(y) + chroma + chroma


def write_y4m(path: Path, text: str, frames: int = 6) -> Path:
    """A Y4M file of ``frames`` identical frames showing ``text`` as a QR label (Chromium
    plays it in a loop)."""
    frame = qr_frame(text)
    with path.open("wb") as f:
        f.write(HEADER)
        for _ in range(frames):
            f.write(b"FRAME\n")
            f.write(frame)
    return path


class CameraPhone:
    """A guard's phone: a persistent Chromium profile relaunched with a given fake video,
    behind one network switch (the same origin across launches)."""

    def __init__(self, playwright: Any, server: Server, profile: Path) -> None:
        self.playwright = playwright
        self.server = server
        self.profile = profile
        self.network = NetworkSwitch(server.port)
        self.phone: Phone | None = None

    def launch(self, video: Path, *, offline: bool) -> Phone:
        context = self.playwright.chromium.launch_persistent_context(
            str(self.profile), executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream",
                  "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-video-capture={video}"],
            viewport={"width": 360, "height": 740}, timezone_id="Asia/Hong_Kong",
            locale="zh-HK", has_touch=True)
        context.set_default_timeout(TIMEOUT_MS)
        phone = Phone.__new__(Phone)
        phone.server = self.server
        phone.network = self.network
        phone.base = f"http://127.0.0.1:{self.network.port}"
        phone.context = context
        phone.errors = []
        if offline:
            context.set_offline(True)
        phone.page = context.pages[0] if context.pages else context.new_page()
        phone.page.on("pageerror", lambda e: phone.errors.append(f"pageerror: {e}"))
        self.phone = phone
        return phone

    def close(self) -> None:
        if self.phone is not None:
            self.phone.context.close()
            self.phone = None


# the phone settled online: no worker still installing or waiting (the sign-in swaps in the
# worker of the guard's domains), and the camera's code cached by it
WORKER_SETTLED = """() => navigator.serviceWorker.getRegistration().then((r) =>
  !!r && !r.installing && !r.waiting && !!r.active && r.active.state === 'activated')"""
SCANNER_CACHED = """() => caches.keys().then(async (names) => {
  const name = names.find((n) => n.startsWith('patrol-scanner-'));
  const urls = name ? (await (await caches.open(name)).keys()).map((r) => r.url) : [];
  return urls.some((u) => u.endsWith('/patrol/scan.js'))
    && urls.some((u) => u.endsWith('/jsQR.js'));
})"""


def scanner_cached(phone: Phone) -> None:
    """Online, after the sign-in: the guard's worker in control and the patrol screens'
    camera code (scan.js, jsQR) in its cache — still there a moment later, once the first
    sync's work has wound down (the screens it refreshes cache the scanner again) — so the
    camera works offline."""
    phone.page.wait_for_function(WORKER_SETTLED)
    phone.goto("/m/patrol")
    phone.page.wait_for_function(SCANNER_CACHED)
    phone.page.wait_for_timeout(2000)
    phone.page.wait_for_function(SCANNER_CACHED)
