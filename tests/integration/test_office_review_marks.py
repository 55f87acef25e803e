"""The office's review of synced records: marked approved / has issues / rejected with a
comment, one at a time or in bulk, audited on the record, scoped to the person's sites, a
filter of the review list — and pulled by the author's phone (its inbox shows it)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from server.keys.tables import KeyLoan
from server.lib.errors import NotFound, ValidationFailed
from server.review import marks
from server.settings import Settings
from server.sync.tables import AuditEntry, Review
from sync.kit.reviews import review_id
from tests.conftest import TEST_PASSWORD
from tests.factories import sign_in
from tests.integration.office_keys_support import Estate, boss_user, post_form
from tests.integration.sync_support import PUSH, lend_args, phone, pull_all


@pytest.fixture
async def pushed(client: Any, settings: Settings, estate: Estate) -> dict[str, Any]:
    """Three loans the desk's phone lent (the phone is their author)."""
    p = await phone(settings, estate.desk)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    muts = [p.mutation("key.lend", lend_args(estate.key_a2, i)) for i in ids[:1]]
    muts += [p.mutation("key.return", {"loan_id": ids[0], "returned_at":
                                       "2026-03-02T03:00:00+00:00", "returned_by": "陳大文"})]
    muts += [p.mutation("key.lend", lend_args(estate.key_a2, i)) for i in ids[1:2]]
    r = await client.post(PUSH, headers=p.headers, json=p.body(muts))
    assert r.status_code == 200, r.text
    assert r.json()["applied"] == 3, r.text
    await pull_all(client, p)
    return {"phone": p, "loans": ids[:2]}


async def test_has_issues_reaches_the_authors_phone(client: Any, estate: Estate,
                                                    pushed: dict[str, Any]) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    loan = pushed["loans"][0]
    page = f"/office/records/key_loan/{loan}"
    r = await post_form(client, page, f"{page}/review",
                        {"state": "has_issues", "comment": "借用人電話未填"})
    assert r.status_code == 200 and "reviewed=1" in str(r.url), r.text
    assert "借用人電話未填" in r.text
    row = await Review.select().where(Review.id == review_id("key_loan", loan)).first()
    assert row["state"] == "has_issues" and row["comment"] == "借用人電話未填"
    assert row["staff_ids"] in ([estate.desk], f'["{estate.desk}"]')
    assert row["space"] == f"{estate.a}:keys" and row["version"] > 0
    audit = await AuditEntry.select().where(
        (AuditEntry.record_id == loan) & (AuditEntry.action == marks.ACTION)).first()
    assert audit["staff"] is not None and str(audit["staff"]) == estate.boss
    assert audit["device"] is None
    # the record's history names the review; the author's phone pulls it
    assert r.text.count("借用人電話未填") == 2  # the review, and the history's change
    p = pushed["phone"]
    await pull_all(client, p)
    review = p.replica[("review", review_id("key_loan", loan))]
    assert review["state"] == "has_issues" and review["comment"] == "借用人電話未填"
    assert review["record_id"] == loan and review["staff_ids"] == [estate.desk]


async def test_comment_required_for_has_issues_and_form_rerendered(
        client: Any, estate: Estate, pushed: dict[str, Any]) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    loan = pushed["loans"][0]
    page = f"/office/records/key_loan/{loan}"
    r = await post_form(client, page, f"{page}/review", {"state": "rejected", "comment": " "})
    assert r.status_code == 400 and 'aria-invalid="true"' in r.text
    r = await post_form(client, page, f"{page}/review", {"state": "bogus", "comment": "x"})
    assert r.status_code == 400
    assert await Review.count() == 0
    # approved needs no comment
    r = await post_form(client, page, f"{page}/review", {"state": "approved", "comment": ""})
    assert r.status_code == 200 and await Review.count() == 1


async def test_bulk_mark_and_review_filters(client: Any, estate: Estate,
                                            pushed: dict[str, Any]) -> None:
    await sign_in(client, "boss", TEST_PASSWORD)
    first, second = pushed["loans"]
    url = "/office/review?type=key_loan"
    page = await client.get(url)
    assert page.status_code == 200 and first in page.text and second in page.text
    r = await post_form(client, url, "/office/review", {
        "type": "key_loan", "ids": first, "state": "approved", "comment": "",
        "scope": "selected", "next": url})
    assert r.status_code == 200 and "marked=1" in str(r.url)
    approved = await client.get(url + "&state=approved")
    assert first in approved.text and second not in approved.text
    unreviewed = await client.get(url + "&state=unreviewed")
    assert second in unreviewed.text and first not in unreviewed.text
    # every record of the page at once, with a comment
    r = await post_form(client, url, "/office/review", {
        "type": "key_loan", "page_ids": [first, second], "state": "has_issues",
        "comment": "請補相片", "scope": "page", "next": url})
    assert r.status_code == 200 and "marked=2" in str(r.url)
    rows = await Review.select(Review.state).where(Review.record_type == "key_loan")
    assert [x["state"] for x in rows] == ["has_issues", "has_issues"]
    # nothing ticked: the list again, with the error, nothing changed
    r = await post_form(client, url, "/office/review", {
        "type": "key_loan", "state": "approved", "scope": "selected", "next": url})
    assert r.status_code == 400 and 'role="alert"' in r.text


async def test_marks_are_scoped_and_all_or_nothing(client: Any, estate: Estate,
                                                   pushed: dict[str, Any], factory: Any) -> None:
    other = await factory.key_loan(estate.key_b, estate.other, borrower="外人")
    boss = boss_user(estate)
    with pytest.raises(NotFound):
        await marks.mark(boss, "key_loan", [pushed["loans"][0], other], "approved", "")
    assert await Review.count() == 0
    with pytest.raises(NotFound):
        await marks.mark(boss, "conflict", [pushed["loans"][0]], "approved", "")
    with pytest.raises(ValidationFailed):
        await marks.mark(boss, "key_loan", [], "approved", "")
    assert await marks.mark(boss, "key_loan", pushed["loans"], "approved", "") == 2
    # the same mark again changes nothing (no new version, no audit)
    assert await marks.mark(boss, "key_loan", pushed["loans"], "approved", "") == 0
    loan = await KeyLoan.select(KeyLoan.id).where(KeyLoan.id == other).first()
    assert loan is not None
    await sign_in(client, "boss", TEST_PASSWORD)
    assert (await client.get(f"/office/records/key_loan/{other}")).status_code == 404
