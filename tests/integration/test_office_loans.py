"""The office's loan pages: list, filters (htmx), CSV export, loan detail / history
and blobs — scoped to the user's sites."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from server.keys.tables import KeyLoan
from tests.conftest import TEST_PASSWORD
from tests.factories import sign_in
from tests.integration.office_keys_support import Estate

# --- loans ---------------------------------------------------------------------------------

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
