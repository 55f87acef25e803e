"""Importing units and residents from CSV and XLSX: preview with row-numbered problems,
then all rows in one transaction — or none."""

from __future__ import annotations

import html
import io
import re
import uuid

from openpyxl import Workbook

from server.estate.tables import Resident, Unit
from server.sync.tables import SpaceVersion
from tests.conftest import TEST_PASSWORD
from tests.factories import csrf_from, sign_in


async def estate(factory) -> dict[str, str]:
    site = await factory.site(name="海悅花園", code="HYG")
    a = await factory.building(site, code="A")
    b = await factory.building(site, code="B")
    return {"site": site, "A": a, "B": b}


async def as_admin(client, factory) -> str:
    name = f"admin{uuid.uuid4().hex[:6]}"
    await factory.staff(name, role="admin")
    client.cookies.set("caretaker_lang", "en")
    await sign_in(client, name, TEST_PASSWORD)
    return csrf_from((await client.get("/office/import")).text)


async def upload(client, token: str, site: str, kind: str, name: str, data: bytes,
                 htmx: bool = False):
    headers = {"HX-Request": "true"} if htmx else {}
    return await client.post("/office/import", data={"site": site, "kind": kind,
                                                     "_csrf_token": token},
                             files={"file": (name, data, "application/octet-stream")},
                             headers=headers)


def confirm_fields(page: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="(payload|signature)" value="([^"]*)"',
                             page))
    assert set(fields) == {"payload", "signature"}, "no confirm form in the preview"
    return {k: html.unescape(v) for k, v in fields.items()}


async def version(site: str, stream: str = "estate") -> int:
    """The version of a site's stream (units are estate records, residents their own)."""
    row = await SpaceVersion.select(SpaceVersion.version).where(
        SpaceVersion.space == f"{site}:{stream}").first()
    return int(row["version"])


UNITS_CSV = (
    "\ufeff座號,房號,樓層,面積,用途\n"
    "A,A-0101,1,56.5,住宅\n"
    "A,A-0102,1,,residential\n"
    "B,B-G01,G,120,商業\n"
    ",,,,\n"  # a blank line keeps its row number but is skipped
    "B,B-P1,B1,12.5,parking\n"
)


async def test_good_csv_imports_every_row_in_one_bump(client, factory) -> None:
    ids = await estate(factory)
    token = await as_admin(client, factory)
    before = await version(ids["site"])
    preview = await upload(client, token, ids["site"], "units", "units.csv",
                           UNITS_CSV.encode("utf-8"))
    assert preview.status_code == 200
    assert "All 4 rows are ready: 4 new, 0 updated." in preview.text
    assert "A-0101" in preview.text and "B-P1" in preview.text
    assert preview.text.count(">Residential<") == 2  # "住宅" read as the code, shown as a label
    assert await Unit.count() == 0  # nothing stored by the preview
    r = await client.post("/office/import/confirm",
                          data={**confirm_fields(preview.text), "_csrf_token": token})
    assert r.status_code == 200 and "done=imported" in str(r.url)
    assert "Imported 4 rows." in r.text
    rows = {u["number"]: u for u in await Unit.select()}
    assert set(rows) == {"A-0101", "A-0102", "B-G01", "B-P1"}
    assert rows["A-0101"]["area"] == 56.5 and rows["A-0101"]["use"] == "residential"
    assert rows["A-0102"]["area"] is None
    assert rows["B-G01"]["use"] == "commercial" and rows["B-G01"]["building"] == uuid.UUID(
        ids["B"])
    assert await version(ids["site"]) == before + 1
    assert {u["version"] for u in rows.values()} == {before + 1}
    assert {u["space"] for u in rows.values()} == {f"{ids['site']}:estate"}


async def test_reimporting_units_updates_them(client, factory) -> None:
    ids = await estate(factory)
    await factory.unit(ids["site"], ids["A"], number="A-0101")
    token = await as_admin(client, factory)
    csv = "building code,unit number,floor,area,use\nA,a-0101,1,70,storage\nA,A-0201,2,,\n"
    preview = await upload(client, token, ids["site"], "units", "u.csv", csv.encode())
    assert "1 new, 1 updated" in preview.text
    await client.post("/office/import/confirm",
                      data={**confirm_fields(preview.text), "_csrf_token": token})
    rows = {u["number"]: u for u in await Unit.select()}
    assert set(rows) == {"A-0101", "A-0201"}
    assert (rows["A-0101"]["area"], rows["A-0101"]["use"]) == (70.0, "storage")


async def test_good_xlsx_of_residents_imports_fully(client, factory) -> None:
    ids = await estate(factory)
    await factory.unit(ids["site"], ids["A"], number="A-0101")
    await factory.unit(ids["site"], ids["B"], number="0301")
    book = Workbook()
    sheet = book.active
    sheet.append(["building code", "unit number", "name", "phone", "relation", "ID type",
                  "ID last 4"])
    sheet.append(["A", "A-0101", "陳大文", "91234567", "業主", "香港身份證", "123(4)"])
    sheet.append(["A", "A-0101", "陳小文", None, "household", "none", None])
    sheet.append(["B", 301, "Mary Lee", 61234567, "tenant", "passport", "K789"])
    buf = io.BytesIO()
    book.save(buf)
    token = await as_admin(client, factory)
    preview = await upload(client, token, ids["site"], "residents", "residents.xlsx",
                           buf.getvalue(), htmx=True)
    assert preview.status_code == 200 and "<html" not in preview.text  # the htmx partial
    assert "All 3 rows are ready" in preview.text
    r = await client.post("/office/import/confirm",
                          data={**confirm_fields(preview.text), "_csrf_token": token},
                          headers={"HX-Request": "true"})
    assert r.headers.get("hx-redirect", "").startswith("/office/residents?site=")
    rows = {x["name"]: x for x in await Resident.select()}
    assert set(rows) == {"陳大文", "陳小文", "Mary Lee"}
    assert (rows["陳大文"]["relation"], rows["陳大文"]["id_type"],
            rows["陳大文"]["id_last4"]) == ("owner", "hkid", "1234")
    assert rows["Mary Lee"]["phone"] == "61234567"  # a number cell read as text
    assert rows["陳小文"]["relation"] == "household"


async def test_one_bad_row_imports_nothing_and_names_the_row(client, factory) -> None:
    ids = await estate(factory)
    token = await as_admin(client, factory)
    csv = ("building code,unit number,floor,area,use\n"
           "A,A-0101,1,50,residential\n"
           "A,A-0102,1,50,residential\n"
           "B,B-0101,1,50,residential\n"
           "A,A-0103,1,50,residential\n"
           "A,A-0104,1,50,residential\n"
           "Z,Z-0101,1,50,residential\n"
           "A,A-0105,1,-3,castle\n"
           "A,A-0101,1,50,residential\n")
    before = await version(ids["site"])
    preview = await upload(client, token, ids["site"], "units", "u.csv", csv.encode())
    assert preview.status_code == 200
    text = html.unescape(preview.text)
    assert "Row 7: building 'Z' does not exist in 海悅花園." in text
    assert "Row 8, area (m²): The area must be more than 0 and at most 100000 m²." in text
    assert "Row 8, use: Choose one of the listed uses." in text
    assert "Row 9 repeats row 2." in text
    assert "3 rows have problems. Nothing will be imported" in text
    assert 'name="payload"' not in preview.text  # no way to confirm
    assert await Unit.count() == 0 and await version(ids["site"]) == before


async def test_confirm_rechecks_and_refuses_changed_or_stale_rows(client, factory) -> None:
    ids = await estate(factory)
    unit = await factory.unit(ids["site"], ids["A"], number="A-0101")
    token = await as_admin(client, factory)
    csv = ("building code,unit number,name\nA,A-0101,王先生\nA,A-0101,王太太\n")
    preview = await upload(client, token, ids["site"], "residents", "r.csv", csv.encode())
    fields = confirm_fields(preview.text)
    # Tampered payloads are refused.
    r = await client.post("/office/import/confirm", data={
        "payload": fields["payload"][:-4] + "AAAA", "signature": fields["signature"],
        "_csrf_token": token})
    assert r.status_code == 400 and "expired or was changed" in r.text
    # Meanwhile someone records 王太太 by hand: the confirm re-checks and imports nothing.
    await factory.resident(ids["site"], unit, name="王太太")
    r = await client.post("/office/import/confirm", data={**fields, "_csrf_token": token})
    assert r.status_code == 400
    assert "Row 3: 王太太 is already a resident of A-0101." in html.unescape(r.text)
    assert await Resident.count() == 1


async def test_full_id_numbers_and_missing_columns_are_refused(client, factory) -> None:
    ids = await estate(factory)
    await factory.unit(ids["site"], ids["A"], number="A-0101")
    token = await as_admin(client, factory)
    csv = "building code,unit number,name,ID last 4\nA,A-0101,張三,A123456(7)\n"
    preview = await upload(client, token, ids["site"], "residents", "r.csv", csv.encode())
    text = html.unescape(preview.text)
    assert ("Row 2, ID last 4: Only the last 4 characters of an ID number are kept" in text)
    assert "A123456" not in text
    r = await upload(client, token, ids["site"], "residents", "r.csv",
                     b"name,phone\nX,1\n")
    assert r.status_code == 400 and "lacks the column(s): building code, unit number" in \
        html.unescape(r.text)
    assert await Resident.count() == 0


async def test_big5_csv_and_size_cap(client, factory) -> None:
    ids = await estate(factory)
    token = await as_admin(client, factory)
    csv = "座號,房號,樓層\nA,A-0801,8\n".encode("big5")
    preview = await upload(client, token, ids["site"], "units", "big5.csv", csv)
    assert "All 1 rows are ready" in preview.text
    big = b"building code,unit number\n" + b"A,A-1\n" * (5 * 1024 * 1024 // 6 + 10)
    r = await upload(client, token, ids["site"], "units", "big.csv", big)
    assert r.status_code == 400 and "larger than 5 MB" in r.text
    r = await upload(client, token, ids["site"], "units", "bad.xlsx", b"PK\x03\x04garbage")
    assert r.status_code == 400 and "not a readable .xlsx" in r.text


async def test_templates_download(client, factory) -> None:
    await as_admin(client, factory)
    r = await client.get("/office/import/template/units.csv")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    assert r.content.decode("utf-8-sig").strip() == "building code,unit number,floor,area (m²),use"
    client.cookies.set("caretaker_lang", "zh_Hant")
    r = await client.get("/office/import/template/residents.csv")
    header = r.content.decode("utf-8-sig").strip().split(",")
    assert len(header) == 7 and header[0] != "building code"  # translated headers
    assert (await client.get("/office/import/template/..%2Fetc.csv")).status_code == 404
