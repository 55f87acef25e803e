"""The office's key pages: register, printed tags, loans (filters, htmx, CSV, detail, blobs),
key conflicts (void / resolve), rejections and the office home — scoped to the user's sites."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.accounts.schemas import CurrentUser
from server.keys import service
from server.keys.tables import KeyLoan, KeyTag
from server.lib.errors import NotFound, ValidationFailed
from server.sync.tables import AuditEntry, Conflict, Rejection, SpaceVersion
from sync import hlc
from sync.lww import merge_fields
from tests.conftest import TEST_PASSWORD
from tests.factories import csrf_from, sign_in


class Estate:
    """Two sites: the supervisor ``boss`` runs A only; ``desk`` is a front-desk user of A."""

    def __init__(self, **ids: Any) -> None:
        self.__dict__.update(ids)


@pytest.fixture
async def estate(factory: Any) -> Estate:
    a = await factory.site(name="海悅花園", code="HYG")
    b = await factory.site(name="景華臺", code="JHT")
    boss = await factory.staff("boss", role="supervisor", sites=(a,))
    desk = await factory.staff("desk", role="front_desk", sites=(a,))
    other = await factory.staff("bdesk", role="front_desk", sites=(b,))
    unit_a = await factory.unit(a, number="A-12C")
    key_a = await factory.key(a, code="HYG-K001", category="owner_deposited", unit=unit_a)
    key_a2 = await factory.key(a, code="HYG-K002", category="public_area")
    key_b = await factory.key(b, code="JHT-K001")
    return Estate(a=a, b=b, boss=boss, desk=desk, other=other, unit_a=unit_a, key_a=key_a,
                  key_a2=key_a2, key_b=key_b)


async def space_version(space: str) -> int:
    row = await SpaceVersion.select(SpaceVersion.version).where(
        SpaceVersion.space == space).first()
    return int(row["version"]) if row else 0


def boss_user(e: Estate) -> CurrentUser:
    return CurrentUser(id=e.boss, username="boss", display_name="boss", role="supervisor",
                       site_ids=(e.a,))


async def post_form(client: Any, page_url: str, url: str, data: dict[str, str]) -> Any:
    page = await client.get(page_url)
    assert page.status_code == 200, page.text
    return await client.post(url, data={**data, "_csrf_token": csrf_from(page.text)})


def texts(html: str, css_class: str) -> list[str]:
    return re.findall(rf'class="[^"]*\b{css_class}\b[^"]*"[^>]*>([^<]*)<', html)


# --- access --------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/office/keys", "/office/keys/new", "/office/keys/print", "/office/keys/loans",
    "/office/keys/loans/export", "/office/keys/conflicts", "/office/sync/rejections",
])
async def test_non_office_roles_get_403(client: Any, estate: Estate, path: str) -> None:
    await sign_in(client, "desk", TEST_PASSWORD)
    r = await client.get(path)
    assert r.status_code == 403


async def test_non_office_roles_cannot_post_office_actions(client: Any, factory: Any,
                                                          estate: Estate) -> None:
    loan = await factory.key_loan(estate.key_a, estate.desk)
    conflict = await factory.conflict(estate.a, [loan])
    await sign_in(client, "desk", TEST_PASSWORD)
    token = csrf_from((await client.get("/home")).text)
    for url, data in ((f"/office/keys/conflicts/{conflict}/resolve", {"note": "x"}),
                      (f"/office/keys/loans/{loan}/void", {"reason": "x"}),
                      (f"/office/keys/{estate.key_a}/retire", {})):
        r = await client.post(url, data={**data, "_csrf_token": token})
        assert r.status_code == 403, url
    assert await AuditEntry.count() == 0
    assert (await Conflict.select(Conflict.status).first())["status"] == "open"


async def test_admins_see_every_site(client: Any, factory: Any, estate: Estate) -> None:
    await factory.staff("root", role="admin")
    await sign_in(client, "root", TEST_PASSWORD)
    page = await client.get("/office/keys")
    assert "HYG-K001" in page.text and "JHT-K001" in page.text
    assert (await client.get(f"/office/keys/{estate.key_b}")).status_code == 200


async def test_signed_out_is_sent_to_sign_in(client: Any, estate: Estate) -> None:
    r = await client.get("/office/keys/loans", follow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")


# --- key register --------------------------------------------------------------------------

async def test_register_lists_only_the_users_sites(client: Any, estate: Estate) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    page = await client.get("/office/keys")
    assert page.status_code == 200
    assert "HYG-K001" in page.text and "HYG-K002" in page.text
    assert "JHT-K001" not in page.text
    # a filter naming the other site shows nothing, and its key by id does not exist
    r = await client.get(f"/office/keys?site={estate.b}")
    assert "JHT-K001" not in r.text and "HYG-K001" not in r.text
    assert (await client.get(f"/office/keys/{estate.key_b}")).status_code == 404
    # search by unit number, by label; filter by category
    r = await client.get("/office/keys?q=a-12c")
    assert "HYG-K001" in r.text and "HYG-K002" not in r.text
    r = await client.get("/office/keys?category=public_area")
    assert "HYG-K002" in r.text and "HYG-K001" not in r.text


async def test_register_search_is_an_htmx_fragment(client: Any, estate: Estate) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await client.get("/office/keys?q=K002", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text and "HYG-K002" in r.text and "HYG-K001" not in r.text


async def test_register_pages_by_fifty(client: Any, factory: Any, estate: Estate) -> None:
    for n in range(55):
        await factory.key(estate.a, code=f"P-{n:03d}")
    await sign_in(client, "boss", TEST_PASSWORD)
    first = await client.get("/office/keys?q=P-")
    assert "P-000" in first.text and "P-050" not in first.text
    second = await client.get("/office/keys?q=P-&page=2")
    assert "P-050" in second.text and "P-000" not in second.text


async def test_create_key_rejects_a_code_with_the_unit_number(client: Any,
                                                              estate: Estate) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    before = await KeyTag.count()
    r = await post_form(client, "/office/keys/new", "/office/keys", {
        "site": estate.a, "code": "HYG-A12C", "label": "業主寄存 A座", "category": "vacant_unit",
        "unit_number": "A-12C"})
    assert r.status_code == 400
    assert "must not contain the unit number" in r.text or "不可包含單位號碼" in r.text
    assert 'aria-invalid="true"' in r.text and 'value="HYG-A12C"' in r.text
    # the label is printed on the tag list too
    r = await post_form(client, "/office/keys/new", "/office/keys", {
        "site": estate.a, "code": "HYG-K900", "label": "A-12C 業主寄存",
        "category": "owner_deposited", "unit_number": "A-12C"})
    assert r.status_code == 400 and 'id="label-error"' in r.text
    assert 'id="code-error"' not in r.text
    assert await KeyTag.count() == before  # nothing changed


async def test_create_key_validates_every_field(client: Any, estate: Estate) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await post_form(client, "/office/keys/new", "/office/keys", {
        "site": estate.b, "code": "HYG-K001", "label": "", "category": "castle",
        "unit_number": "Z-99"})
    assert r.status_code == 400
    for field in ("site", "label", "category"):
        assert f'id="{field}-error"' in r.text
    # duplicate code at the same site
    r = await post_form(client, "/office/keys/new", "/office/keys", {
        "site": estate.a, "code": "HYG-K001", "label": "x", "category": "master",
        "unit_number": "Z-99"})
    assert r.status_code == 400
    assert 'id="code-error"' in r.text and 'id="unit_number-error"' in r.text


async def test_create_key_is_audited_and_bumps_the_version(client: Any,
                                                           estate: Estate) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    v0 = await space_version(estate.a)
    r = await post_form(client, "/office/keys/new", "/office/keys", {
        "site": estate.a, "code": "HYG-K100", "label": "機房 A座", "category": "equipment_room",
        "unit_number": "", "notes": "天台"})
    assert r.status_code == 200 and "/office/keys/" in str(r.url)
    key = await KeyTag.select().where(KeyTag.code == "HYG-K100").first()
    assert key["version"] == v0 + 1 == await space_version(estate.a)
    audit = await AuditEntry.select().where(AuditEntry.record_id == key["id"]).first()
    assert audit["action"] == "office.key.register" and str(audit["staff"]) == estate.boss
    assert audit["device"] is None and audit["device_hlc"] == ""


async def test_edit_key_is_audited_with_before_after_and_wins_lww(client: Any,
                                                                  estate: Estate) -> None:
    # a phone corrected the label earlier (its HLC is in field_hlc)
    phone_hlc = hlc.HLC(hlc.system_ms() - 60_000, 0, "aaaaaaaaaaaa").encode()
    await KeyTag.update({KeyTag.field_hlc: {"label": phone_hlc}}).where(
        KeyTag.id == estate.key_a2)
    await sign_in(client, "boss", TEST_PASSWORD)
    v0 = await space_version(estate.a)
    old = (await KeyTag.select(KeyTag.label).where(KeyTag.id == estate.key_a2).first())["label"]
    r = await post_form(client, f"/office/keys/{estate.key_a2}", f"/office/keys/{estate.key_a2}",
                        {"code": "HYG-K002", "label": "大堂 後門", "category": "public_area",
                         "unit_number": "", "notes": ""})
    assert r.status_code == 200
    key = await KeyTag.select().where(KeyTag.id == estate.key_a2).output(load_json=True).first()
    assert key["label"] == "大堂 後門" and key["version"] == v0 + 1
    assert key["field_hlc"]["label"] > phone_hlc
    audit = await AuditEntry.select().where(
        (AuditEntry.record_id == estate.key_a2)
        & (AuditEntry.action == "office.key.update")).output(load_json=True).first()
    assert audit["changes"] == {"label": [old, "大堂 後門"]}
    # a phone correction made before the office edit (but pushed after) loses
    earlier = hlc.HLC(hlc.system_ms() - 1000, 5, "bbbbbbbbbbbb").encode()
    merge = merge_fields(key, key["field_hlc"], {"label": "舊名"}, earlier)
    assert merge.changes == {} and merge.lost[0].kept_value == "大堂 後門"
    # the history is on the key's page
    page = await client.get(f"/office/keys/{estate.key_a2}")
    assert "office.key.update" in page.text and "大堂 後門" in page.text


async def test_unchanged_edit_does_not_bump(client: Any, estate: Estate) -> None:
    user = boss_user(estate)
    key = await KeyTag.select().where(KeyTag.id == estate.key_a2).first()
    v0 = await space_version(estate.a)
    from server.keys.schemas import KeyForm

    outcome = await service.update_key(user, estate.key_a2, KeyForm(
        code=key["code"], label=key["label"], category=key["category"]))
    assert not outcome.errors
    assert await space_version(estate.a) == v0
    assert await AuditEntry.count().where(AuditEntry.record_id == estate.key_a2) == 0


async def test_retire_and_unretire(client: Any, estate: Estate) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    url = f"/office/keys/{estate.key_a2}"
    r = await post_form(client, url, f"{url}/retire", {})
    assert r.status_code == 200
    assert (await KeyTag.select(KeyTag.retired).where(KeyTag.id == estate.key_a2).first())[
        "retired"] is True
    listed = await client.get("/office/keys")
    assert "HYG-K002" not in listed.text
    assert "HYG-K002" in (await client.get("/office/keys?retired=retired")).text
    r = await post_form(client, url, f"{url}/unretire", {})
    assert (await KeyTag.select(KeyTag.retired).where(KeyTag.id == estate.key_a2).first())[
        "retired"] is False
    actions = {r["action"] for r in await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.record_id == estate.key_a2)}
    assert actions == {"office.key.retire", "office.key.unretire"}


async def test_print_list_has_codes_and_labels_but_no_unit_numbers(client: Any,
                                                                   estate: Estate) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await client.get(f"/office/keys/print?site={estate.a}")
    assert r.status_code == 200
    assert texts(r.text, "tag-code") == ["HYG-K001", "HYG-K002"]
    assert "A-12C" not in r.text
    assert '<link rel="stylesheet" href="/static/css/app.css">' in r.text
    assert (await client.get(f"/office/keys/print?site={estate.b}")).status_code == 404


# --- loans ---------------------------------------------------------------------------------

@pytest.fixture
async def loans(factory: Any, estate: Estate) -> dict[str, str]:
    return {
        "out": await factory.key_loan(estate.key_a, estate.desk, borrower="陳大文",
                                      hours_ago=1, due_in_hours=8),
        "overdue": await factory.key_loan(estate.key_a2, estate.boss, borrower="李小明",
                                          hours_ago=30, due_in_hours=2),
        "returned": await factory.key_loan(estate.key_a, estate.desk, borrower="張三",
                                           hours_ago=50, returned=True),
        "voided": await factory.key_loan(estate.key_a2, estate.desk, borrower="王五",
                                         hours_ago=70, voided=True, void_reason="錯誤"),
        "other_site": await factory.key_loan(estate.key_b, estate.other, borrower="外人",
                                             hours_ago=2),
    }


async def test_loan_filters_by_status_site_date_and_lender(client: Any, estate: Estate,
                                                           loans: dict[str, str]) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    page = await client.get("/office/keys/loans")
    assert page.status_code == 200
    for name in ("陳大文", "李小明", "張三", "王五"):
        assert name in page.text
    assert "外人" not in page.text

    async def names(query: str) -> set[str]:
        r = await client.get(f"/office/keys/loans?{query}", headers={"HX-Request": "true"})
        assert r.status_code == 200 and "<html" not in r.text
        return {n for n in ("陳大文", "李小明", "張三", "王五", "外人") if n in r.text}

    assert await names("status=out") == {"陳大文", "李小明"}
    assert await names("status=overdue") == {"李小明"}
    assert await names("status=returned") == {"張三"}
    assert await names("status=voided") == {"王五"}
    assert await names(f"site={estate.b}") == set()
    assert await names(f"lent_by={estate.boss}") == {"李小明"}
    today = datetime.now(UTC).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Hong_Kong"))
    since = (today - timedelta(days=1)).date().isoformat()
    got = await names(f"date_from={since}")
    assert "王五" not in got and "陳大文" in got
    until = (today - timedelta(days=2)).date().isoformat()
    assert "陳大文" not in await names(f"date_to={until}")


async def test_loan_filter_form_uses_htmx_without_inline_code(client: Any,
                                                              estate: Estate) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await client.get("/office/keys/loans")
    form = re.search(r"<form class=\"filters[^>]*>", r.text, re.S)
    assert form and 'hx-get="/office/keys/loans"' in form.group(0)
    assert 'hx-target="#loan-results"' in form.group(0)
    assert "[" not in form.group(0)  # no trigger filters (they need eval)
    assert "hx-on" not in r.text and "<script>" not in r.text and "style=" not in r.text
    for field in ("loan-q", "loan-status", "loan-site", "loan-from", "loan-to",
                  "loan-lent-by"):
        assert f'<label for="{field}">' in r.text


async def test_csv_export_is_filtered_and_excel_friendly(client: Any, estate: Estate,
                                                         loans: dict[str, str],
                                                         factory: Any) -> None:
    await factory.key_loan(estate.key_a2, estate.desk, borrower="=HYPERLINK(1)", hours_ago=3)
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await client.get("/office/keys/loans/export?status=out")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    borrower = header.index(next(h for h in header if h in ("Borrower", "借用人")))
    assert sorted(row[borrower] for row in body) == sorted(
        ["陳大文", "李小明", "'=HYPERLINK(1)"])
    assert all("外人" not in ",".join(row) for row in body)
    # ID: type and last 4 only
    assert any("123A" in row for row in body)


async def test_loan_detail_shows_every_field_and_history(client: Any, factory: Any,
                                                         estate: Estate,
                                                         loans: dict[str, str]) -> None:
    loan = loans["out"]
    lent = (await KeyLoan.select(KeyLoan.lent_at).where(KeyLoan.id == loan).first())["lent_at"]
    # backdated: device time 2 hours before the server received it
    await factory.audit("key_loan", loan, estate.a, "key.lend",
                        {"borrower_name": [None, "陳大文"], "id_last4": [None, "123A"]},
                        staff=estate.desk, device_time=lent - timedelta(hours=2),
                        server_time=lent)
    await factory.audit("key_loan", loan, estate.a, "key.update",
                        {"purpose": ["維修", "抄錶"]}, staff=estate.desk,
                        device_time=lent + timedelta(minutes=1),
                        server_time=lent + timedelta(minutes=2))
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await client.get(f"/office/keys/loans/{loan}")
    assert r.status_code == 200
    for text in ("陳大文", "HYG-K001", "123A", "維修", "key.lend", "key.update", "抄錶"):
        assert text in r.text
    assert r.text.count('class="times skewed"') == 1  # only the backdated entry
    assert (await client.get(f"/office/keys/loans/{loans['other_site']}")).status_code == 404
    assert (await client.get(f"/office/keys/loans/{uuid.uuid4()}")).status_code == 404


async def test_blobs_are_served_only_for_records_of_the_users_sites(
        client: Any, factory: Any, estate: Estate) -> None:
    sig = await factory.blob(b"signature-a")
    photo = await factory.blob(b"photo-a", "image/jpeg")
    other = await factory.blob(b"signature-b")
    stray = await factory.blob(b"nobody refers to me")
    page_blob = await factory.blob(b"<script>alert(1)</script>", "text/html")
    loan = await factory.key_loan(estate.key_a, estate.desk, signature_blob=sig,
                                  return_photos=[photo, page_blob], returned=True)
    await factory.key_loan(estate.key_b, estate.other, signature_blob=other)
    await sign_in(client, "boss", TEST_PASSWORD)
    detail = await client.get(f"/office/keys/loans/{loan}")
    assert f'src="/office/blobs/{sig}"' in detail.text
    assert f'src="/office/blobs/{photo}"' in detail.text
    r = await client.get(f"/office/blobs/{sig}")
    assert r.status_code == 200 and r.content == b"signature-a"
    assert r.headers["content-type"] == "image/png"
    assert (await client.get(f"/office/blobs/{photo}")).content == b"photo-a"
    assert (await client.get(f"/office/blobs/{other}")).status_code == 404
    assert (await client.get(f"/office/blobs/{stray}")).status_code == 404
    assert (await client.get("/office/blobs/not-a-hash")).status_code == 404
    html = await client.get(f"/office/blobs/{page_blob}")
    assert html.headers["content-type"] == "application/octet-stream"
    assert html.headers["content-disposition"].startswith("attachment")


# --- conflicts -----------------------------------------------------------------------------

@pytest.fixture
async def double_loan(factory: Any, estate: Estate) -> dict[str, str]:
    first = await factory.key_loan(estate.key_a, estate.desk, borrower="甲", hours_ago=2)
    second = await factory.key_loan(estate.key_a, estate.boss, borrower="乙", hours_ago=1)
    conflict = await factory.conflict(estate.a, [first, second], details={
        "key_id": estate.key_a, "key_code": "HYG-K001",
        "loans": [{"loan_id": first, "borrower_name": "甲", "lent_by": estate.desk},
                  {"loan_id": second, "borrower_name": "乙", "lent_by": estate.boss}]},
        staff_ids=[estate.desk, estate.boss])
    other_loan = await factory.key_loan(estate.key_b, estate.other, borrower="丙")
    other = await factory.conflict(estate.b, [other_loan])
    return {"first": first, "second": second, "conflict": conflict, "other": other,
            "other_loan": other_loan}


async def test_conflict_list_and_detail_are_scoped(client: Any, estate: Estate,
                                                   double_loan: dict[str, str]) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await client.get("/office/keys/conflicts")
    assert r.status_code == 200
    assert f"/office/keys/conflicts/{double_loan['conflict']}" in r.text
    assert double_loan["other"] not in r.text
    assert (await client.get(f"/office/keys/conflicts/{double_loan['other']}")).status_code == 404
    d = await client.get(f"/office/keys/conflicts/{double_loan['conflict']}")
    assert d.status_code == 200 and "甲" in d.text and "乙" in d.text
    assert d.text.count('name="loan"') == 2


async def test_void_one_loan_of_a_conflict(client: Any, estate: Estate,
                                           double_loan: dict[str, str]) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    v0 = await space_version(estate.a)
    url = f"/office/keys/conflicts/{double_loan['conflict']}"
    r = await post_form(client, url, f"{url}/void",
                        {"loan": double_loan["second"], "reason": "重複登記"})
    assert r.status_code == 200 and str(r.url).endswith("saved=1")
    v1 = await space_version(estate.a)
    assert v1 == v0 + 1
    loan = await KeyLoan.select().where(KeyLoan.id == double_loan["second"]).first()
    assert loan["voided"] is True and loan["void_reason"] == "重複登記"
    assert str(loan["voided_by"]) == estate.boss and loan["version"] == v1
    kept = await KeyLoan.select().where(KeyLoan.id == double_loan["first"]).first()
    assert kept["voided"] is False
    c = await Conflict.select().where(Conflict.id == double_loan["conflict"]).first()
    assert (c["status"], c["resolution"], c["resolution_note"]) == (
        "resolved", "voided_loan", "重複登記")
    assert str(c["resolved_by"]) == estate.boss and c["version"] == v1
    audit = {(r["record_type"], r["action"]) for r in await AuditEntry.select().where(
        AuditEntry.version == v1)}
    assert audit == {("key_loan", "office.loan.void"), ("conflict", "office.conflict.resolve")}
    # a phone that pulled up to v0 now finds both rows changed
    changed = await KeyLoan.count().where((KeyLoan.space == estate.a) & (KeyLoan.version > v0))
    assert changed == 1
    assert await Conflict.count().where((Conflict.space == estate.a)
                                        & (Conflict.version > v0)) == 1
    page = await client.get(url)
    assert "重複登記" in page.text and "office.conflict.resolve" in page.text


async def test_failed_void_rerenders_and_changes_nothing(client: Any, estate: Estate,
                                                         double_loan: dict[str, str]) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    v0 = await space_version(estate.a)
    url = f"/office/keys/conflicts/{double_loan['conflict']}"
    r = await post_form(client, url, f"{url}/void", {"loan": double_loan["second"],
                                                     "reason": "  "})
    assert r.status_code == 400 and 'id="reason-error"' in r.text
    r = await post_form(client, url, f"{url}/void", {"loan": double_loan["other_loan"],
                                                     "reason": "x"})
    assert r.status_code == 404  # a loan of another site does not exist
    r = await post_form(client, url, f"{url}/void", {"loan": "", "reason": "x"})
    assert r.status_code == 400 and 'id="loan-error"' in r.text
    assert await space_version(estate.a) == v0
    assert await AuditEntry.count() == 0
    c = await Conflict.select(Conflict.status).where(Conflict.id == double_loan["conflict"]).first()
    assert c["status"] == "open"


async def test_resolve_with_a_note(client: Any, estate: Estate,
                                   double_loan: dict[str, str]) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    url = f"/office/keys/conflicts/{double_loan['conflict']}"
    r = await post_form(client, url, f"{url}/resolve", {"note": ""})
    assert r.status_code == 400 and 'id="note-error"' in r.text
    v0 = await space_version(estate.a)
    r = await post_form(client, url, f"{url}/resolve", {"note": "兩條匙已核對"})
    assert r.status_code == 200
    c = await Conflict.select().where(Conflict.id == double_loan["conflict"]).first()
    assert (c["status"], c["resolution"], c["version"]) == ("resolved", "resolved_with_note",
                                                           v0 + 1)
    assert await space_version(estate.a) == v0 + 1
    assert await KeyLoan.count().where(KeyLoan.voided.eq(True)) == 0
    entry = await AuditEntry.select().where(AuditEntry.record_id == double_loan["conflict"]
                                            ).output(load_json=True).first()
    assert entry["action"] == "office.conflict.resolve"
    assert entry["changes"]["resolution_note"] == ["", "兩條匙已核對"]
    # resolving again is refused (re-rendered, nothing changes)
    r = await post_form(client, url, f"{url}/resolve", {"note": "again"})
    assert r.status_code in (200, 400)
    assert await space_version(estate.a) == v0 + 1


async def test_service_functions_for_other_callers(estate: Estate,
                                                   double_loan: dict[str, str]) -> None:
    user = boss_user(estate)
    with pytest.raises(ValidationFailed):
        await service.void_loan(user, double_loan["first"], "")
    with pytest.raises(NotFound):
        await service.void_loan(user, double_loan["other_loan"], "x")
    with pytest.raises(NotFound):
        await service.resolve_conflict(user, double_loan["other"], "x")
    await service.void_loan(user, double_loan["first"], "輸入錯誤")
    with pytest.raises(ValidationFailed):
        await service.void_loan(user, double_loan["first"], "again")
    await service.resolve_conflict(user, double_loan["conflict"], "已處理")
    with pytest.raises(ValidationFailed):
        await service.resolve_conflict(user, double_loan["conflict"], "again")


async def test_void_from_the_loan_page(client: Any, estate: Estate,
                                       loans: dict[str, str]) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    url = f"/office/keys/loans/{loans['out']}"
    r = await post_form(client, url, f"{url}/void", {"reason": ""})
    assert r.status_code == 400 and 'id="reason-error"' in r.text
    r = await post_form(client, url, f"{url}/void", {"reason": "誤按"})
    assert r.status_code == 200
    assert "誤按" in r.text and "office.loan.void" in r.text


# --- rejections and the office home --------------------------------------------------------

async def test_rejections_are_scoped_and_resolved_with_a_note(client: Any, factory: Any,
                                                              estate: Estate) -> None:
    mine = await factory.rejection(estate.a, staff=estate.desk, reason="key is retired")
    unknown = await factory.rejection("", staff=estate.desk, reason="no such key here")
    theirs = await factory.rejection(estate.b, staff=estate.other, reason="their problem")
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await client.get("/office/sync/rejections")
    assert mine in r.text and unknown in r.text and theirs not in r.text
    assert (await client.get(f"/office/sync/rejections/{theirs}")).status_code == 404
    url = f"/office/sync/rejections/{mine}"
    r = await post_form(client, url, f"{url}/resolve", {"note": ""})
    assert r.status_code == 400
    r = await post_form(client, url, f"{url}/resolve", {"note": "已通知前台"})
    assert r.status_code == 200
    row = await Rejection.select().where(Rejection.id == mine).first()
    assert row["status"] == "resolved" and row["resolution_note"] == "已通知前台"
    assert await AuditEntry.count().where(AuditEntry.action == "office.rejection.resolve") == 1


async def test_office_home_counts_exceptions_first(client: Any, factory: Any, estate: Estate,
                                                   loans: dict[str, str],
                                                   double_loan: dict[str, str]) -> None:
    await factory.rejection(estate.a, staff=estate.desk)
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await client.get("/office")
    assert r.status_code == 200

    def count(href: str) -> int:
        m = re.search(rf'<a href="{re.escape(href)}"><strong>(\d+)</strong>', r.text)
        assert m, href
        return int(m.group(1))

    assert count("/office/keys/loans?status=overdue") == 1
    assert count("/office/keys/conflicts") == 1
    assert count("/office/sync/rejections") == 1
    # out now: the open loan, the overdue one and both loans of the double loan
    assert count("/office/keys/loans?status=out") == 4
    assert 'href="/office/keys/loans"' in r.text  # the nav


# --- with the real sync engine: phones see the office's decisions on their next pull -------

class Phone:
    """A front-desk phone talking to the sync service (push/pull), without HTTP."""

    def __init__(self, user: CurrentUser, settings: Any) -> None:
        self.user, self.settings = user, settings
        self.next_id, self.cookie = 1, None
        self.clock = hlc.Clock(user.client_id or "", now_ms=lambda: 1_767_225_600_000)

    @classmethod
    async def sign_in(cls, settings: Any, staff_id: str, site: str) -> Phone:
        from server.accounts import service as accounts
        from server.accounts.tables import Staff
        from server.sync.tables import SyncClient

        staff = await Staff.select().where(Staff.id == staff_id).first()
        client_id = str(uuid.uuid4())
        _token, device_id = await accounts.register_device(settings, staff,
                                                           uuid.UUID(client_id), "desk phone")
        await SyncClient.insert(SyncClient(client_id=client_id, staff=staff_id,
                                           device=device_id))
        return cls(CurrentUser(id=staff_id, username=staff["username"],
                               display_name=staff["display_name"], role=staff["role"],
                               site_ids=(site,), device_id=device_id, client_id=client_id),
                   settings)

    async def push(self, name: str, args: dict[str, Any]) -> Any:
        from server.sync import service as sync_service
        from sync.protocol import Mutation, PushRequest

        m = Mutation(id=self.next_id, name=name, args=args, hlc=self.clock.now().encode())
        self.next_id += 1
        return await sync_service.push(self.settings, self.user, PushRequest(
            client_id=self.user.client_id or "", schema_version=1, mutations=[m]))

    async def pull(self) -> list[Any]:
        """Every patch op since the last pull."""
        from server.sync import service as sync_service
        from sync.protocol import PullRequest

        ops = []
        while True:
            page = await sync_service.pull(self.settings, self.user, PullRequest(
                client_id=self.user.client_id or "", schema_version=1, cookie=self.cookie))
            ops += page.patch
            self.cookie = page.cookie
            if not page.more:
                return ops


def lend(key_id: str, borrower: str) -> dict[str, Any]:
    lent = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    return {"loan_id": str(uuid.uuid4()), "key_id": key_id, "borrower_name": borrower,
            "borrower_kind": "contractor", "id_type": "hkid", "id_last4": "123A",
            "lent_at": lent.isoformat(), "due_at": (lent + timedelta(hours=8)).isoformat()}


async def test_phones_pull_the_office_void_and_resolution(settings: Any, factory: Any,
                                                          estate: Estate) -> None:
    desk2 = await factory.staff("desk2", role="front_desk", sites=(estate.a,))
    one = await Phone.sign_in(settings, estate.desk, estate.a)
    two = await Phone.sign_in(settings, desk2, estate.a)
    first, second = lend(estate.key_a2, "甲"), lend(estate.key_a2, "乙")
    await one.push("key.lend", first)
    result = await two.push("key.lend", second)  # two desks lent the same key offline
    assert result.conflicts == 1
    conflict = await Conflict.select().where(Conflict.kind == "double_loan").first()
    await one.pull()  # phone one is up to date

    await service.void_loan(boss_user(estate), second["loan_id"], "重複登記",
                            conflict_id=str(conflict["id"]))

    ops = {(op.type, op.id): op for op in await one.pull()}
    loan = ops[("key_loan", second["loan_id"])]  # a voided loan leaves the phones
    assert loan.op == "del" or (loan.data or {}).get("voided") is True
    c = ops[("conflict", str(conflict["id"]))]
    assert c.op == "put" and c.data is not None and c.data["status"] == "resolved"
    assert ("key_loan", first["loan_id"]) not in ops  # the loan that stands did not change


async def test_a_phone_correction_made_before_an_office_edit_loses(settings: Any,
                                                                   estate: Estate) -> None:
    from server.keys.schemas import KeyForm

    phone = await Phone.sign_in(settings, estate.desk, estate.a)
    await phone.pull()
    # the office renames the key now; the phone renamed it (offline) on 1 Jan, pushed later
    key = await KeyTag.select().where(KeyTag.id == estate.key_a2).first()
    outcome = await service.update_key(boss_user(estate), estate.key_a2, KeyForm(
        code=key["code"], label="大堂後門", category=key["category"]))
    assert not outcome.errors
    await phone.push("key.update", {"key_id": estate.key_a2, "fields": {"label": "舊名"}})
    kept = await KeyTag.select(KeyTag.label).where(KeyTag.id == estate.key_a2).first()
    assert kept["label"] == "大堂後門"
    lost = await Conflict.select().where(Conflict.kind == "field_overwritten").output(
        load_json=True).first()
    assert lost["details"]["fields"]["label"]["lost"] == "舊名"
    ops = {(op.type, op.id): op for op in await phone.pull()}
    assert ops[("key", estate.key_a2)].data["label"] == "大堂後門"
