"""Every /api endpoint fuzzed from the app's own OpenAPI schema (/api/schema/openapi.json) by
schemathesis, in-process: no 5xx, and every 4xx is JSON with a code and a readable message.

Requests are sent through the test's ASGI client (the database pool lives in this event
loop): hypothesis runs in a worker thread and hands each request to the loop. Most carry a
real device token, and push/pull bodies often carry the phone's own client_id and the
current schema version, so the fuzzing reaches the engine and the store, not only the token
check. ``CARETAKER_FUZZ_EXAMPLES`` sets the number of requests (default
200 per database)."""

from __future__ import annotations

import asyncio
import os
import warnings
from typing import Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import openapi

from sync import SCHEMA_VERSION
from tests.integration.sync_support import lend_args, phone

EXAMPLES = int(os.environ.get("CARETAKER_FUZZ_EXAMPLES", "200"))


def _steer(body: Any, client_id: str, key: str, choice: int) -> Any:
    """Point some generated bodies at the real client (so they pass the client check)."""
    if not isinstance(body, dict):
        return body
    if "client_id" in body and choice % 3:
        body = {**body, "client_id": client_id}
    if "schema_version" in body and choice % 2:
        body = {**body, "schema_version": SCHEMA_VERSION}
    if isinstance(body.get("mutations"), list) and choice % 5 == 1:
        body = {**body, "mutations": [*body["mutations"][:3], {
            "id": 1, "name": "key.lend", "args": lend_args(key), "hlc": "bad"}]}
    return body


async def test_no_endpoint_answers_5xx(client, factory, settings, db) -> None:
    site = await factory.site()
    staff = await factory.staff("fuzz", role="supervisor", sites=(site,))
    key = await factory.key(site)
    p = await phone(settings, staff)
    raw = (await client.get("/api/schema/openapi.json")).json()
    schema = openapi.from_dict(raw)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert {(o.method.upper(), o.path) for o in operations} >= {
        ("POST", "/api/v1/devices"), ("POST", "/api/v1/sync/push"),
        ("POST", "/api/v1/sync/pull"), ("PUT", "/api/v1/blobs/{sha256}"),
        ("GET", "/api/v1/blobs/{sha256}")}
    strategy = st.one_of(*[o.as_strategy() for o in operations])
    seen: dict[int, int] = {}

    loop = asyncio.get_running_loop()

    async def send(case: Any, choice: int) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver.local")
        headers = {k: v for k, v in kwargs["headers"].items()
                   if k.lower() not in ("connection", "accept-encoding")}
        if choice % 10:
            headers["authorization"] = f"Bearer {p.token}"
        split = urlsplit(kwargs["url"])
        request: dict[str, Any] = {"headers": headers, "params": kwargs.get("params") or None}
        if "json" in kwargs:
            request["json"] = _steer(kwargs["json"], p.client_id, key, choice)
        elif "data" in kwargs:
            request["content"] = kwargs["data"]
        r = await client.request(kwargs["method"], split.path + (
            "?" + split.query if split.query else ""), **request)
        seen[r.status_code] = seen.get(r.status_code, 0) + 1
        assert r.status_code < 500, (kwargs["method"], split.path, r.text[:500])
        if r.status_code >= 400:
            body = r.json()
            assert isinstance(body.get("code"), str) and body["code"], r.text
            assert isinstance(body.get("message"), str) and body["message"], r.text

    @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None,
                         suppress_health_check=list(HealthCheck))
    @given(case=strategy, choice=st.integers(0, 29))
    def one_request(case: Any, choice: int) -> None:
        asyncio.run_coroutine_threadsafe(send(case, choice), loop).result(timeout=60)

    def fuzz() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            one_request()

    await asyncio.to_thread(fuzz)
    assert 200 in seen and 401 in seen and 400 in seen, seen  # it reached past the guards
