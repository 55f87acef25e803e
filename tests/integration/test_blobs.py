"""Blobs (photos, signatures): idempotent upload, hash check, size cap, type refusal, and
downloads only for people who may see a record that refers to the blob."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import httpx
import msgspec
import pytest

from server.app import create_app
from server.sync.tables import Blob
from tests.integration.sync_support import PUSH, T0, db_snapshot, lend_args, phone

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 3
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(64)


def url(data: bytes) -> str:
    return f"/api/v1/blobs/{hashlib.sha256(data).hexdigest()}"


@pytest.fixture
async def desk(factory, settings):
    site = await factory.site()
    staff = await factory.staff(role="front_desk", sites=(site,))
    return site, await phone(settings, staff)


async def test_upload_is_idempotent_and_served_back(client, db, desk) -> None:
    _site, p = desk
    for data, kind in ((PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp")):
        r = await client.put(url(data), content=data, headers={**p.headers,
                                                              "content-type": kind})
        assert r.status_code == 201, r.text
        assert r.json() == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                            "content_type": kind, "created": True}
        before = await db_snapshot(db.engine)
        again = await client.put(url(data), content=data, headers={**p.headers,
                                                                  "content-type": kind})
        assert again.status_code == 200 and again.json()["created"] is False
        assert await db_snapshot(db.engine) == before
        got = await client.get(url(data), headers=p.headers)  # the uploader may read it
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-type"] == kind
        assert got.headers["cache-control"] == "private, max-age=31536000, immutable"
        assert got.headers["x-content-type-options"] == "nosniff"
    assert await Blob.count() == 3


@pytest.mark.parametrize(("case", "status", "code"), [
    ("hash mismatch", 400, "hash_mismatch"),
    ("not a hash", 400, "invalid_hash"),
    ("svg", 415, "unsupported_media_type"),
    ("html", 415, "unsupported_media_type"),
    ("no content type", 415, "unsupported_media_type"),
    ("png that is not", 415, "content_mismatch"),
    ("too large", 413, "blob_too_large"),
])
async def test_refused_uploads_store_nothing(db, settings, desk, case, status, code) -> None:
    _site, p = desk
    app = create_app(msgspec.structs.replace(settings, blob_max_bytes=2048), engine=db.engine)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40002))
    path, data, kind = url(PNG), PNG, "image/png"
    if case == "hash mismatch":
        path = url(PNG + b"x")
    elif case == "not a hash":
        path = "/api/v1/blobs/" + "G" * 64
    elif case == "svg":
        data = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        path, kind = url(data), "image/svg+xml"
    elif case == "html":
        data, kind = b"<html><script>alert(1)</script></html>", "text/html"
        path = url(data)
    elif case == "no content type":
        kind = ""
    elif case == "png that is not":
        data = JPEG
        path = url(data)
    elif case == "too large":
        data = PNG + bytes(3000)
        path = url(data)
    headers = {**p.headers, "content-type": kind} if kind else dict(p.headers)
    before = await db_snapshot(db.engine)
    async with httpx.AsyncClient(transport=transport, base_url="http://test.local") as c:
        r = await c.put(path, content=data, headers=headers)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code and r.json()["message"]
    assert await db_snapshot(db.engine) == before


async def test_download_only_for_people_who_may_see_a_record_using_it(
        client, factory, settings, db, desk) -> None:
    site, p = desk
    colleague = await phone(settings, await factory.staff(role="front_desk", sites=(site,)))
    guard = await phone(settings, await factory.staff(role="patrol", sites=(site,)))
    elsewhere = await phone(settings, await factory.staff(role="front_desk",
                                                          sites=(await factory.site(),)))
    signature, photo, orphan = PNG, JPEG, WEBP
    for data, kind in ((signature, "image/png"), (photo, "image/jpeg"),
                       (orphan, "image/webp")):
        r = await client.put(url(data), content=data, headers={**p.headers,
                                                              "content-type": kind})
        assert r.status_code == 201
    # not yet referred to by any record: only the uploader sees it
    assert (await client.get(url(signature), headers=colleague.headers)).status_code == 404
    key = await factory.key(site)
    loan = str(uuid.uuid4())
    sig_hash = hashlib.sha256(signature).hexdigest()
    photo_hash = hashlib.sha256(photo).hexdigest()
    r = await client.post(PUSH, headers=p.headers, json=p.body([
        p.mutation("key.lend", lend_args(key, loan, signature_blob=sig_hash)),
        p.mutation("key.return", {"loan_id": loan, "returned_by": "陳大文",
                                  "returned_at": (T0 + timedelta(hours=1)).isoformat(),
                                  "return_photos": [photo_hash]}),
    ]))
    assert r.json()["applied"] == 2
    for data in (signature, photo):
        ok = await client.get(url(data), headers=colleague.headers)
        assert ok.status_code == 200 and ok.content == data
        denied = await client.get(url(data), headers=elsewhere.headers)
        assert denied.status_code == 404 and denied.json()["code"] == "not_found"
        # a guard of the same site does not receive key loans: nor their signatures
        assert (await client.get(url(data), headers=guard.headers)).status_code == 404
    assert (await client.get(url(orphan), headers=colleague.headers)).status_code == 404
    assert (await client.get(url(orphan), headers=p.headers)).status_code == 200
    missing = await client.get("/api/v1/blobs/" + "0" * 64, headers=p.headers)
    assert missing.status_code == 404
    odd = await client.get("/api/v1/blobs/not-a-hash", headers=p.headers)
    assert odd.status_code == 404
