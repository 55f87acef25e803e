"""The staff PWA in real Chromium: one phone lends a key offline and returns it offline;
both survive reloads and a new tab, then sync once the phone is back online.
"""

from __future__ import annotations

from tests.e2e.conftest import Office, Phones, Server
from tests.e2e.helpers import _row


def _big_png(width: int, height: int) -> bytes:
    """A plain PNG of the given size (stands in for a camera photo)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\0" + bytes([40, 120, 110]) * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height, 6)) + chunk(b"IEND", b""))


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame marker."""
    i = 2
    while i < len(data):
        marker, length = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return (int.from_bytes(data[i + 7:i + 9], "big"),
                    int.from_bytes(data[i + 5:i + 7], "big"))
        i += 2 + length
    raise ValueError("no JPEG frame")


def test_1_lend_offline_survives_reload_and_a_new_tab_then_syncs(
        phones: Phones, server: Server, office: Office) -> None:
    phone = phones()
    phone.sign_in("desk")
    assert phone.status()["state"] == "ok"
    phone.offline()
    loan_id = phone.lend("HYG-K002", "陳大文")
    assert phone.status()["pending"] == "1"

    def board_shows_it_out_and_pending() -> None:
        phone.goto("/m/keys?tab=out")
        row = _row(phone, "HYG-K002")
        assert "is-out" in (row.get_attribute("class") or "")
        assert row.locator(".badge.is-pending").count() == 1
        assert "陳大文" in row.inner_text()
        assert phone.status()["pending"] == "1"

    board_shows_it_out_and_pending()
    phone.page.reload()
    phone.page.wait_for_selector("#key-list")
    board_shows_it_out_and_pending()
    # close the tab; a new one, still offline, is answered by the service worker
    phone.page.close()
    phone.page = phone.new_page()
    board_shows_it_out_and_pending()
    assert server.query("select count(*) from key_loan where id = ?", loan_id)[0][0] == 0

    phone.online()  # the page's "online" event asks the worker to sync
    phone.wait_pending(0)
    rows = server.query("select borrower_name, lent_at, created_at, signature_blob, lent_device"
                        " from key_loan where id = ?", loan_id)
    assert len(rows) == 1 and rows[0][0] == "陳大文" and rows[0][3] and rows[0][4]
    assert server.query("select count(*) from blob where sha256 = ?", rows[0][3])[0][0] == 1
    phone.goto("/m/keys?tab=out")
    assert _row(phone, "HYG-K002").locator(".badge.is-pending").count() == 0

    page = office.page
    page.goto(f"{server.url}/office/keys/loans/{loan_id}")
    text = page.inner_text("main")
    assert "陳大文" in text
    assert "Lent at (device time)" in text and "Received by server" in text
    assert not phone.errors, phone.errors


def test_2_return_offline_then_synced(phones: Phones, server: Server) -> None:
    # its own loan (each test stands alone): a key of the desk's site no other test lends
    (code,), = server.query(
        "select code from key_tag where code like 'HYG-K%' and category <> 'owner_deposited'"
        " and not retired and code not in ('HYG-K002', 'HYG-K003', 'HYG-K012')"
        " and code > 'HYG-K009' order by code limit 1")
    phone = phones()
    phone.sign_in("desk")
    loan_id = phone.lend(code, "陳大文")
    phone.wait_pending(0)
    phone.offline()
    phone.goto("/m/keys?tab=out")
    phone.page.click(f"li.key-row[data-code='{code}'] a[href='/m/keys/loans/{loan_id}/return']")
    phone.page.wait_for_selector("#return-form")
    assert phone.page.input_value("#f-returned_by") == "陳大文"  # defaults to the borrower
    phone.page.fill("#f-return_notes", "完好")
    # a big photo from the camera: downscaled on the phone, kept in IndexedDB, uploaded by hash
    phone.page.set_input_files("#f-photo", files=[
        {"name": "door.png", "mimeType": "image/png", "buffer": _big_png(2400, 1800)}])
    phone.page.wait_for_function(
        "() => document.querySelector('input[name=return_photos]').value.length === 64")
    photo = phone.page.input_value("input[name=return_photos]")
    phone.page.click("#return-submit")
    phone.page.wait_for_selector("#confirmation")
    assert phone.status()["pending"] == "1"
    phone.goto(f"/m/keys?tab=available&q={code}")
    assert _row(phone, code).count() == 1
    phone.online()
    phone.wait_pending(0)
    returned = server.query("select returned_at, returned_by, return_notes, return_photos"
                            " from key_loan where id = ?", loan_id)
    assert returned[0][0] is not None and returned[0][1] == "陳大文" and returned[0][2] == "完好"
    assert photo in returned[0][3]
    blob = server.query("select content_type, data from blob where sha256 = ?", photo)
    assert blob and blob[0][0] == "image/jpeg"
    assert max(_jpeg_size(blob[0][1])) <= 1280
    phone.wait_synced()
    assert phone.status()["pending"] == "0"
    assert not phone.errors, phone.errors
