"""The phone app's files compressed as phones download them (server/app_shell/encoding.py)."""

from __future__ import annotations

import gzip

import brotli

from server.app_shell.encoding import MIN_SIZE, accepted, compressed

BODY = ("const 物業 = 1;\n" * 200).encode()


def test_the_best_accepted_encoding_is_chosen() -> None:
    assert accepted("gzip, deflate, br, zstd") == "br"
    assert accepted("gzip, deflate") == "gzip"
    assert accepted("br;q=0, gzip;q=0.5") == "gzip"
    assert accepted("identity") == ""
    assert accepted("") == ""
    assert accepted("*") == "br"
    assert accepted("br;q=bad, gzip") == "gzip"


def test_a_compressed_body_decodes_to_the_same_bytes() -> None:
    br = compressed(BODY, "text/javascript", "br, gzip", {"Cache-Control": "no-cache"})
    assert br.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in br.headers["Vary"] and br.headers["Cache-Control"] == "no-cache"
    assert brotli.decompress(br.content) == BODY
    gz = compressed(BODY, "text/javascript", "gzip", {"Vary": "HX-Request"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.content) == BODY
    assert gz.headers["Vary"] == "HX-Request, Accept-Encoding"
    assert len(br.content) < len(gz.content) < len(BODY)


def test_small_bodies_images_and_refusals_go_as_they_are() -> None:
    small = compressed(b"x" * (MIN_SIZE - 1), "text/css", "br", {})
    assert "Content-Encoding" not in small.headers and small.content == b"x" * (MIN_SIZE - 1)
    png = compressed(BODY, "image/png", "br", {})
    assert "Content-Encoding" not in png.headers and "Vary" not in png.headers
    plain = compressed(BODY, "text/html", "identity", {})
    assert "Content-Encoding" not in plain.headers and plain.content == BODY
