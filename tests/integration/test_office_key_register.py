"""The office's key pages: access by role, the key register (create / edit / retire)
and printed tags — scoped to the user's sites."""

from __future__ import annotations

from typing import Any

import pytest

from server.keys.lists import KEY_LIST
from server.keys.tables import KeyTag
from server.refdata import service as lists
from server.sync.tables import AuditEntry, Conflict
from sync import hlc
from sync.lww import merge_fields
from tests.conftest import TEST_PASSWORD
from tests.factories import csrf_from, sign_in
from tests.integration.office_keys_support import (
    Estate,
    boss_user,
    post_form,
    space_version,
    texts,
)

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
    assert r.status_code == 400 and 'id="f-label-error"' in r.text
    assert 'id="f-code-error"' not in r.text
    assert await KeyTag.count() == before  # nothing changed


async def test_create_key_validates_every_field(client: Any, estate: Estate) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await post_form(client, "/office/keys/new", "/office/keys", {
        "site": estate.b, "code": "HYG-K001", "label": "", "category": "castle",
        "unit_number": "Z-99"})
    assert r.status_code == 400
    for field in ("site", "label", "category"):
        assert f'id="f-{field}-error"' in r.text
    # duplicate code at the same site
    r = await post_form(client, "/office/keys/new", "/office/keys", {
        "site": estate.a, "code": "HYG-K001", "label": "x", "category": "master",
        "unit_number": "Z-99"})
    assert r.status_code == 400
    assert 'id="f-code-error"' in r.text and 'id="f-unit_number-error"' in r.text


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
    # the office writes through the phones' own mutation: audited as such, by the office
    # user, with no device
    assert audit["action"] == "key.register" and str(audit["staff"]) == estate.boss
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
        & (AuditEntry.action == "key.update")).output(load_json=True).first()
    assert audit["changes"] == {"label": [old, "大堂 後門"]}
    # a phone correction made before the office edit (but pushed after) loses
    earlier = hlc.HLC(hlc.system_ms() - 1000, 5, "bbbbbbbbbbbb").encode()
    merge = merge_fields(key, key["field_hlc"], {"label": "舊名"}, earlier)
    assert merge.changes == {} and merge.lost[0].kept_value == "大堂 後門"
    # the history is on the key's page
    page = await client.get(f"/office/keys/{estate.key_a2}")
    assert "Key corrected (office)" in page.text or "更正鑰匙（管理處）" in page.text
    assert "大堂 後門" in page.text


async def test_unchanged_edit_does_not_bump(client: Any, estate: Estate) -> None:
    user = boss_user(estate)
    key = await KeyTag.select().where(KeyTag.id == estate.key_a2).first()
    v0 = await space_version(estate.a)
    outcome = await lists.submit(KEY_LIST, user, estate.key_a2, {
        "code": key["code"], "label": key["label"], "category": key["category"]})
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
    changes = [r["changes"] for r in await AuditEntry.select(AuditEntry.changes).where(
        AuditEntry.record_id == estate.key_a2).order_by(AuditEntry.server_time).output(
        load_json=True)]
    assert changes == [{"retired": [False, True]}, {"retired": [True, False]}]


async def test_print_list_has_codes_and_labels_but_no_unit_numbers(client: Any,
                                                                   estate: Estate) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    r = await client.get(f"/office/keys/print?site={estate.a}")
    assert r.status_code == 200
    assert texts(r.text, "tag-code") == ["HYG-K001", "HYG-K002"]
    assert "A-12C" not in r.text
    assert '<link rel="stylesheet" href="/static/css/app.css">' in r.text
    assert (await client.get(f"/office/keys/print?site={estate.b}")).status_code == 404
