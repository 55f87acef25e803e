"""The conflict inbox and the rejection list, grouped by kind: above each list, how many of
each kind (a conflict's kind, a rejection's code, by their translated labels) the other
filters hold — status, site, a domain's stream — each count a link that narrows the list to
its kind; the kind filter keeps the status filter. On SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import re
from typing import Any

from server.lib.i18n import catalog
from server.review import kinds
from server.sync.spaces import space_of
from sync import errors
from sync.domains import DOMAINS
from tests.conftest import TEST_PASSWORD
from tests.factories import sign_in
from tests.integration.desk_office_support import sign_in_en
from tests.integration.office_keys_support import Estate

COUNT = re.compile(r'<li class="count"><a href="([^"]+)"( aria-current="true")?>'
                   r"<strong>(\d+)</strong> ([^<]+)</a></li>")


def counts(html: str) -> dict[str, tuple[int, str, bool]]:
    """Label -> (count, link, chosen) of the counts above a list."""
    return {label: (int(n), href.replace("&amp;", "&"), bool(chosen))
            for href, chosen, n, label in COUNT.findall(html)}


def rows(html: str) -> int:
    return html.count('class="rowlink"')


async def _conflicts(factory: Any, e: Estate, loans: dict[str, str]) -> None:
    await factory.conflict(e.a, [loans["out"]])
    await factory.conflict(e.a, [loans["overdue"]])
    await factory.conflict(e.a, [loans["returned"]], kind="field_overwritten")
    await factory.conflict(e.a, [loans["voided"]], status="resolved")
    await factory.conflict(e.b, [loans["other_site"]])  # another site's: never counted
    await factory.conflict(space_of("card", e.a), [loans["out"]], kind="double_issue",
                           record_type="card")  # the cards stream's


async def test_the_inbox_counts_each_kind_and_each_count_filters(
        client: Any, factory: Any, estate: Estate, loans: dict[str, str]) -> None:
    await _conflicts(factory, estate, loans)
    await sign_in_en(client, "boss")
    page = (await client.get("/office/conflicts")).text  # open ones by default
    assert counts(page) == {
        "Every kind": (4, "/office/conflicts?status=open", True),
        "Same key lent twice": (2, "/office/conflicts?status=open&kind=double_loan", False),
        "Correction overwritten": (
            1, "/office/conflicts?status=open&kind=field_overwritten", False),
        catalog("en")["double_issue"]: (
            1, "/office/conflicts?status=open&kind=double_issue", False),
    }
    assert rows(page) == 4
    narrowed = (await client.get("/office/conflicts?status=open&kind=double_loan")).text
    assert rows(narrowed) == 2
    assert counts(narrowed)["Same key lent twice"] == (
        2, "/office/conflicts?status=open&kind=double_loan", True)
    assert counts(narrowed)["Every kind"][2] is False
    assert '<option value="double_loan" selected>' in narrowed  # the kind filter shows it
    # the status filter stays: every status, then the resolved ones
    every = counts((await client.get("/office/conflicts?status=all")).text)
    assert every["Same key lent twice"][:2] == (3, "/office/conflicts?status=all&kind=double_loan")
    resolved = (await client.get("/office/conflicts?status=resolved&kind=double_loan")).text
    assert rows(resolved) == 1
    assert set(counts(resolved)) == {"Every kind", "Same key lent twice"}
    # a kind with nothing left still shows as chosen, at 0
    none = (await client.get("/office/conflicts?status=resolved&kind=field_overwritten")).text
    assert rows(none) == 0 and counts(none)["Correction overwritten"] == (
        0, "/office/conflicts?status=resolved&kind=field_overwritten", True)
    # htmx gets the counts with the results
    part = await client.get("/office/conflicts?status=all", headers={"HX-Request": "true"})
    assert "<html" not in part.text and counts(part.text)["Every kind"][0] == 5


async def test_a_domains_page_counts_its_own_stream(client: Any, factory: Any,
                                                    estate: Estate,
                                                    loans: dict[str, str]) -> None:
    await _conflicts(factory, estate, loans)
    await sign_in_en(client, "boss")
    page = (await client.get("/office/keys/conflicts")).text
    found = counts(page)
    assert found["Every kind"][0] == 3 and catalog("en")["double_issue"] not in found
    assert found["Same key lent twice"][1] == "/office/keys/conflicts?status=open&kind=double_loan"
    narrowed = (await client.get("/office/keys/conflicts?kind=field_overwritten")).text
    assert rows(narrowed) == 1


async def test_the_rejections_count_each_reason(client: Any, factory: Any,
                                                estate: Estate) -> None:
    await factory.rejection(estate.a, staff=estate.desk)
    await factory.rejection(estate.a, staff=estate.desk)
    await factory.rejection(estate.a, staff=estate.desk, code="forbidden_site")
    await factory.rejection(estate.a, staff=estate.desk, status="resolved")
    await factory.rejection(estate.b, staff=estate.other, code="invalid_args")  # not A's
    await factory.rejection(estate.a, staff=estate.desk, code="some_new_code")
    await sign_in_en(client, "boss")
    page = (await client.get("/office/sync/rejections")).text
    assert counts(page) == {
        "Every kind": (4, "/office/sync/rejections?status=open", True),
        "Unknown key": (2, "/office/sync/rejections?status=open&kind=unknown_key", False),
        "Not allowed at this site": (
            1, "/office/sync/rejections?status=open&kind=forbidden_site", False),
        "some_new_code": (1, "/office/sync/rejections?status=open&kind=some_new_code", False),
    }
    narrowed = (await client.get("/office/sync/rejections?kind=unknown_key")).text
    assert rows(narrowed) == 2 and "Unknown key" in narrowed
    assert '<option value="unknown_key" selected>' in narrowed
    every = (await client.get("/office/sync/rejections?status=all&kind=unknown_key")).text
    assert rows(every) == 3


async def test_the_counts_read_in_chinese(client: Any, factory: Any, estate: Estate,
                                          loans: dict[str, str]) -> None:
    await _conflicts(factory, estate, loans)
    await factory.rejection(estate.a, staff=estate.desk)
    await sign_in(client, "boss", TEST_PASSWORD)
    zh = catalog("zh_Hant")
    assert zh["double_loan"] in counts((await client.get("/office/conflicts")).text)
    assert zh["Unknown key"] in counts((await client.get("/office/sync/rejections")).text)


def test_every_rejection_code_has_a_label() -> None:
    codes = {v for k, v in vars(errors).items() if k.isupper() and isinstance(v, str)
             and k in ("UNKNOWN_MUTATION", "INVALID_ARGS", "INVALID_HLC", "FORBIDDEN_ROLE",
                       "FORBIDDEN_SITE", "MUTATION_FAILED", "UNKNOWN_BLOB")}
    for name in DOMAINS:
        module = importlib.import_module(name)
        codes |= set(getattr(getattr(module, "rules", module), "CODES", ()))
    assert len(codes) > 40
    assert codes <= set(kinds.REJECTION_LABELS), codes - set(kinds.REJECTION_LABELS)
    for language in ("en", "zh_Hant"):
        cat = catalog(language)
        assert all(label in cat for label in kinds.REJECTION_LABELS.values())
    assert set(kinds.conflict_kinds()) >= {"double_loan", "field_overwritten", "double_issue"}
