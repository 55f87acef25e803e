"""What the IC-card browser tests share: the seeded cards and units (tests/e2e/seed.py), and
the desk's issue form filled in as a person would (a resident picked or a holder typed, a
proxy's authorisation letter photographed, the holder's signature drawn)."""

from __future__ import annotations

import struct
import uuid
import zlib

from tests.e2e.conftest import Phone, Server


def png(width: int = 640, height: int = 480) -> bytes:
    """A plain PNG (stands in for a camera photo of the authorisation letter)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\0" + bytes([230, 230, 220]) * width
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height, 6)) + chunk(b"IEND", b""))


def card_id(server: Server, number: str) -> str:
    (found,), = server.query("select id from card where number = ?", number)
    return str(uuid.UUID(str(found)))


def free_units(server: Server, site: str = "HYG", residents: bool = True) -> list[tuple[str, str]]:
    """(id, number) of the site's active units that never held a card (with residents when
    asked), in number order: each test takes its own from a different place of the list."""
    rows = server.query(
        "select u.id, u.number from unit u join site s on s.id = u.site where s.code = ?"
        " and u.active and not exists (select 1 from card_issue i where i.unit = u.id)"
        + (" and exists (select 1 from resident r where r.unit = u.id and r.active"
           " and r.relation <> 'proxy')"
           if residents else "") + " order by u.number", site)
    return [(str(uuid.UUID(str(r[0]))), str(r[1])) for r in rows]


def quota_unit(server: Server) -> tuple[str, str]:
    """(id, number) of a unit with a quota of two cards of its own (the seed's) and none yet."""
    rows = server.query(
        "select u.id, u.number from unit u join card_quota q on q.unit = u.id where q.quota = 2"
        " and not exists (select 1 from card_issue i where i.unit = u.id) order by u.number")
    return str(uuid.UUID(str(rows[0][0]))), str(rows[0][1])


def open_issue_form(phone: Phone, unit_id: str) -> None:
    phone.goto(f"/m/cards/issue?unit={unit_id}")
    phone.page.wait_for_selector("#issue-form")


def pick_relation(phone: Phone, relation: str) -> None:
    """Choose the relation; the holder's part is swapped (the proxy's fields come and go)."""
    phone.page.select_option("#f-relation", relation)
    phone.page.wait_for_selector(f"#card-holder[data-relation='{relation}']")


def fill_issue(phone: Phone, number: str, holder: str = "陳大文", relation: str = "owner",
               resident: bool = False, letter: bool = False) -> None:
    """Fill the open issue form: the card number, the holder (a resident of the unit picked
    from the list, or typed), for a proxy the letter's photo and the owner's confirmation,
    ID type and last 4, a receipt number, and the holder's signature."""
    page = phone.page
    page.fill("#f-number", number)
    if resident:
        rid = page.eval_on_selector(  # an owner, tenant or household member (not a proxy)
            "#f-resident_id", "s => s.querySelector('option[data-relation]:not("
            "[data-relation=proxy])').value")
        page.select_option("#f-resident_id", rid)
        page.wait_for_selector(f"#card-holder[data-resident='{rid}']")
        assert page.input_value("#f-holder_name")  # filled from the resident
    else:
        pick_relation(phone, relation)
        page.fill("#f-holder_name", holder)
        page.select_option("#f-id_type", "hkid")
        page.fill("#f-id_last4", "123A")
    if relation == "proxy":
        if letter:
            page.set_input_files("#f-authorisation_photo", files=[
                {"name": "letter.png", "mimeType": "image/png", "buffer": png()}])
            page.wait_for_function(
                "() => document.querySelector('#f-authorisation_blob').value.length === 64")
        page.fill("#f-owner_confirmation", "業主 9123 4567 來電確認 14:20")
    page.fill("#f-receipt_no", f"R-{number}")
    phone.sign()


def issue(phone: Phone, unit_id: str, number: str, **kw: object) -> str:
    """Issue a card through the form; the id of the new issue (from its receipt's URL)."""
    open_issue_form(phone, unit_id)
    fill_issue(phone, number, **kw)  # type: ignore[arg-type]
    phone.page.click("#issue-submit")
    phone.page.wait_for_selector("#receipt")
    url = phone.page.url
    assert url.endswith("/receipt"), url
    return url.rsplit("/", 2)[-2]


def report_lost(phone: Phone, card: str, reported_by: str = "住戶本人") -> None:
    page = phone.page
    phone.goto(f"/m/cards/{card}")
    page.click("#lost-link")
    page.wait_for_selector("#lost-form")
    page.fill("#f-reported_by", reported_by)
    page.fill("#f-notes", "在港鐵站遺失")
    page.check("#f-confirm")
    page.click("#lost-submit")
    page.wait_for_selector("#confirmation")
    assert page.locator("#blacklist-state").count() == 1
