"""Fixtures shared by the office key page tests: a two-site estate, loans and a double loan."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.office_keys_support import Estate


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
