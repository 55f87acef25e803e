"""Draw the staff app's icons (a white key on the brand colour) as PNGs, with no imaging
library: ``python -m server.app_shell.make_icons`` rewrites ``web/static/app/icons/``.

The maskable icon keeps the key inside the central 80 % circle (the safe zone every
launcher mask keeps); the plain icons are a rounded square with transparent corners.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BRAND = (0x0F, 0x5F, 0x56)
WHITE = (0xFF, 0xFF, 0xFF)
OUT = Path(__file__).resolve().parents[2] / "web" / "static" / "app" / "icons"
SAMPLES = 4  # supersampling per axis, for smooth edges


def _in_key(x: float, y: float) -> bool:
    """The key glyph in unit coordinates (0..1 both ways): a ring, a shaft, two teeth."""
    cx, cy = 0.34, 0.5
    d2 = (x - cx) ** 2 + (y - cy) ** 2
    if 0.07**2 <= d2 <= 0.16**2:
        return True
    if 0.48 <= x <= 0.80 and 0.465 <= y <= 0.535:
        return True
    if 0.66 <= x <= 0.71 and 0.535 <= y <= 0.64:
        return True
    return 0.74 <= x <= 0.80 and 0.535 <= y <= 0.61


def _in_background(x: float, y: float, maskable: bool) -> bool:
    if maskable:
        return True
    r = 0.18  # rounded corners
    qx = min(max(x, r), 1 - r)
    qy = min(max(y, r), 1 - r)
    return (x - qx) ** 2 + (y - qy) ** 2 <= r * r


def draw(size: int, maskable: bool) -> bytes:
    # the maskable glyph shrinks into the safe zone
    scale, offset = (0.72, 0.14) if maskable else (0.86, 0.07)
    rows = []
    step = 1 / (size * SAMPLES)
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            bg = fg = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (px * SAMPLES + sx + 0.5) * step
                    y = (py * SAMPLES + sy + 0.5) * step
                    if _in_background(x, y, maskable):
                        bg += 1
                        if _in_key((x - offset) / scale, (y - offset) / scale):
                            fg += 1
            n = SAMPLES * SAMPLES
            alpha = round(255 * bg / n)
            if bg:
                f = fg / bg
                rgb = [round(BRAND[i] * (1 - f) + WHITE[i] * f) for i in range(3)]
            else:
                rgb = list(BRAND)
            row.extend([*rgb, alpha])
        rows.append(bytes(row))
    return _png(size, size, b"".join(rows))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def _png(width: int, height: int, raw: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size, maskable in (("icon-192.png", 192, False), ("icon-512.png", 512, False),
                                 ("maskable-512.png", 512, True)):
        (OUT / name).write_bytes(draw(size, maskable))
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
