"""The office's key conflicts (void / resolve), rejections and the office home, and the
round trip through the sync engine — scoped to the user's sites."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.accounts.schemas import CurrentUser
from server.keys import service
from server.keys.tables import KeyLoan, KeyTag
from server.lib.errors import NotFound, ValidationFailed
from server.review import service as review_service
from server.sync.tables import AuditEntry, Conflict, Rejection
from sync import SCHEMA_VERSION, hlc
from tests.conftest import TEST_PASSWORD
from tests.factories import sign_in
from tests.integration.office_keys_support import (
    Estate,
    boss_user,
    post_form,
    space_version,
)


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
    # the office voids through the phones' own mutation; the resolution is its own action
    assert audit == {("key_loan", "key.void_loan"), ("conflict", "office.conflict.resolve")}
    # a phone that pulled up to v0 now finds both rows changed
    keys = f"{estate.a}:keys"
    changed = await KeyLoan.count().where((KeyLoan.space == keys) & (KeyLoan.version > v0))
    assert changed == 1
    assert await Conflict.count().where((Conflict.space == keys)
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
        await review_service.resolve_conflict(user, double_loan["other"], "x")
    await service.void_loan(user, double_loan["first"], "輸入錯誤")
    with pytest.raises(ValidationFailed):
        await service.void_loan(user, double_loan["first"], "again")
    await review_service.resolve_conflict(user, double_loan["conflict"], "已處理")
    with pytest.raises(ValidationFailed):
        await review_service.resolve_conflict(user, double_loan["conflict"], "again")


async def test_void_from_the_loan_page(client: Any, estate: Estate,
                                       loans: dict[str, str]) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    url = f"/office/keys/loans/{loans['out']}"
    r = await post_form(client, url, f"{url}/void", {"reason": ""})
    assert r.status_code == 400 and 'id="reason-error"' in r.text
    r = await post_form(client, url, f"{url}/void", {"reason": "誤按"})
    assert r.status_code == 200
    assert "誤按" in r.text and "key.void_loan" in r.text


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
    assert count("/office/conflicts") == 1
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
        from server.sync.tables import BlobUpload, SyncClient

        staff = await Staff.select().where(Staff.id == staff_id).first()
        client_id = str(uuid.uuid4())
        _token, device_id = await accounts.register_device(settings, staff,
                                                           uuid.UUID(client_id), "desk phone")
        await SyncClient.insert(SyncClient(client_id=client_id, staff=staff_id,
                                           device=device_id))
        await BlobUpload.insert(BlobUpload(id=uuid.uuid4(), sha256=SIG, staff=staff_id))
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
            client_id=self.user.client_id or "", schema_version=SCHEMA_VERSION,
            mutations=[m]))

    async def pull(self) -> list[Any]:
        """Every patch op since the last pull."""
        from server.sync import service as sync_service
        from sync.protocol import PullRequest

        ops = []
        while True:
            page = await sync_service.pull(self.settings, self.user, PullRequest(
                client_id=self.user.client_id or "", schema_version=SCHEMA_VERSION,
                cookie=self.cookie))
            ops += page.patch
            self.cookie = page.cookie
            if not page.more:
                return ops


SIG = "5" * 64


def lend(key_id: str, borrower: str) -> dict[str, Any]:
    lent = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
    return {"loan_id": str(uuid.uuid4()), "key_id": key_id, "borrower_name": borrower,
            "borrower_kind": "contractor", "id_type": "hkid", "id_last4": "123A",
            "lent_at": lent.isoformat(), "due_at": (lent + timedelta(hours=8)).isoformat(),
            "signature_blob": SIG}


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
    from server.keys.lists import KEY_LIST
    from server.refdata import service as lists

    phone = await Phone.sign_in(settings, estate.desk, estate.a)
    await phone.pull()
    # the office renames the key now; the phone renamed it (offline) on 1 Jan, pushed later
    key = await KeyTag.select().where(KeyTag.id == estate.key_a2).first()
    outcome = await lists.submit(KEY_LIST, boss_user(estate), estate.key_a2, {
        "code": key["code"], "label": "大堂後門", "category": key["category"]})
    assert not outcome.errors
    await phone.push("key.update", {"key_id": estate.key_a2, "fields": {"label": "舊名"}})
    kept = await KeyTag.select(KeyTag.label).where(KeyTag.id == estate.key_a2).first()
    assert kept["label"] == "大堂後門"
    lost = await Conflict.select().where(Conflict.kind == "field_overwritten").output(
        load_json=True).first()
    assert lost["details"]["fields"]["label"]["lost"] == "舊名"
    ops = {(op.type, op.id): op for op in await phone.pull()}
    assert ops[("key", estate.key_a2)].data["label"] == "大堂後門"
