"""What simulated phones do with keys in the convergence scenario (:mod:`sync.testing`), and
how the end check knows each key event a phone recorded was kept."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sync.domains.keys.records import CATEGORIES, KEY, KEY_TYPE, LOAN
from sync.storage import Record

KINDS = ("register", "lend", "lend", "return", "return", "void", "update")
CATEGORY_CODES = tuple(CATEGORIES)


def act(ph: Any, kind: str, a: int, b: int) -> None:
    """One step of a phone (``ph``: :class:`sync.testing.ScenarioPhone`)."""
    iso = ph.now().isoformat()
    if kind == "register":
        site = ph.sites[a % len(ph.sites)]
        if b % 11 == 0:  # a site the phone is not assigned to
            site = next((s for s in ph.all_sites if s not in ph.sites), site)
        ph.mutate("key.register", {
            "key_id": ph.new_id(), "site_id": site, "code": f"K{a % 1000:03d}-{b % 97}",
            "label": f"tag {b % 50}", "category": CATEGORY_CODES[b % len(CATEGORY_CODES)],
        })
    elif kind == "lend":
        keys = ph.records(KEY)
        key_id = keys[a % len(keys)].id if keys and b % 13 else ph.new_id()
        due = (ph.now() + timedelta(hours=8)).isoformat()
        ph.mutate("key.lend", {
            "loan_id": ph.new_id(), "key_id": key_id, "borrower_name": f"borrower {b % 40}",
            "borrower_kind": ("contractor", "resident", "staff", "agent")[b % 4],
            "id_type": "hkid", "id_last4": f"{b % 10000:04d}", "purpose": "repair",
            "owner_consent": "" if b % 4 == 0 else "owner phoned", "lent_at": iso,
            "due_at": due, "signature_blob": ph.new_blob(),
        })
    elif kind == "return":
        loans = ph.records(LOAN)
        open_loans = [r for r in loans if r.data.get("returned_at") is None]
        pool = open_loans if b % 4 and open_loans else loans
        if not pool:
            return
        loan = pool[a % len(pool)]
        returned = iso
        if b % 7 == 0:
            returned = (datetime.fromisoformat(loan.data["lent_at"])
                        - timedelta(hours=1)).isoformat()
        ph.mutate("key.return", {"loan_id": loan.id, "returned_at": returned,
                                 "returned_by": loan.data.get("borrower_name", "?")})
    elif kind == "void":
        loans = ph.records(LOAN)
        if loans:
            reason = "" if b % 5 == 0 else "entered by mistake"
            ph.mutate("key.void_loan", {"loan_id": loans[a % len(loans)].id, "reason": reason})
    elif kind == "update":
        keys = ph.records(KEY)
        if keys:
            choices: list[dict[str, Any]] = [
                {"label": f"label {b % 9}"}, {"notes": f"note {b % 5}"},
                {"retired": b % 2 == 0}, {"category": CATEGORY_CODES[b % 3]},
                {"label": f"label {b % 9}", "notes": f"note {a % 5}"},
            ]
            fields = choices[a % len(choices)]
            ph.mutate("key.update", {"key_id": keys[a % len(keys)].id, "fields": fields})


def bad(ph: Any, a: int, b: int) -> None:
    """What an old or buggy app might send."""
    ph.mutate("key.lend", {"loan_id": "not-a-uuid", "key_id": ph.new_id()}, validate=False)


def _instant(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None


def kept(name: str, a: dict[str, Any], where: str, records: dict[tuple[str, str], Record],
         state: Any, cid: str, mutation_id: int) -> list[str] | None:
    """Problems if a key event a phone recorded (and the server did not reject) is not
    stored; None for mutations of other domains."""
    if name == "key.register":
        return [] if (KEY, a["key_id"]) in records else [f"{where}: key missing"]
    if name in ("key.lend", "key.return", "key.void_loan"):
        loan = records.get((LOAN, a["loan_id"]))
        if loan is None:
            return [f"{where}: loan missing"]
        d = loan.data
        if name == "key.lend" and (d["borrower_name"] != a["borrower_name"]
                                   or _instant(d["lent_at"]) != _instant(a["lent_at"])):
            return [f"{where}: loan differs"]
        if name == "key.return" and _instant(d["returned_at"]) != _instant(a["returned_at"]):
            second = [c for c in state.conflicts if c.kind == "double_return"
                      and c.details.get("loan_id") == a["loan_id"]
                      and _instant(c.details["second"]["returned_at"])
                      == _instant(a["returned_at"])]
            if not second:
                return [f"{where}: return lost"]
        if name == "key.void_loan" and not (d["voided"] and loan.deleted):
            return [f"{where}: void lost"]
        return []
    if name == "key.update":
        key = records.get((KEY, a["key_id"]))
        if key is None:
            return [f"{where}: key missing"]
        out = []
        for field, value in a["fields"].items():
            if key.data.get(field) == value:
                continue
            lost = any(c.kind == "field_overwritten" and c.details.get("client_id") == cid
                       and c.details.get("mutation_id") == mutation_id
                       and c.details["fields"].get(field, {}).get("lost") == value
                       for c in state.conflicts)
            before = any(r.record_id == a["key_id"] and field in r.changes
                         and r.changes[field][0] == value for r in state.audit)
            if not (lost or before):
                out.append(f"{where}: {field}={value!r} silently lost")
        return out
    return None


def parity_records(seed: Any) -> list[dict[str, Any]]:
    """The key register and loans every parity case starts from (tests/parity/cases.py:
    ``seed`` names the sites, units, people, uploaded blobs and a blob only a record
    names): an owner-deposited key of a unit, a key out now, a retired key, a key of the
    other site; a loan out, one returned, one voided."""
    s1, s2 = seed.sites
    uid, rec = seed.uid, seed.rec
    desk, supervisor = seed.actors[0], seed.actors[2]
    key_hlc = dict.fromkeys(KEY_TYPE.lww, seed.early)
    loan = {
        "borrower_name": "甲", "borrower_phone": "", "borrower_kind": "contractor",
        "id_type": "none", "id_last4": "", "purpose": "", "approver": "", "owner_consent": "",
        "deposit": "", "lent_at": "2026-03-02T00:00:00+00:00",
        "due_at": "2026-03-02T08:00:00+00:00", "signature_blob": seed.blobs[0],
        "lent_by": desk.staff_id, "lent_device": desk.device_id, "lent_hlc": seed.early,
        "returned_at": None, "returned_by": "", "return_notes": "", "return_photos": [],
        "return_recorded_by": None, "return_hlc": "", "voided": False, "void_reason": "",
        "voided_by": None,
    }

    def key(n: int, site: str, code: str, label: str, category: str,
            unit: str | None = None, retired: bool = False) -> dict[str, Any]:
        return rec(KEY, uid(n), site, {"site_id": site, "code": code, "label": label,
                                       "category": category, "unit_id": unit, "notes": "",
                                       "retired": retired}, field_hlc=key_hlc)

    return [
        key(31, s1, "HYG-K001", "業主寄存", "owner_deposited", seed.units[s1][0]),
        key(32, s1, "HYG-K002", "大堂", "public_area"),
        key(33, s1, "HYG-K003", "舊", "master", retired=True),
        key(34, s2, "JHT-K001", "機房", "equipment_room"),
        rec(LOAN, uid(41), s1, {"site_id": s1, "key_id": uid(32), **loan}),
        rec(LOAN, uid(42), s1, {"site_id": s1, "key_id": uid(31), **loan,
                                "signature_blob": seed.named_blob,
                                "returned_at": "2026-03-02T02:00:00+00:00",
                                "returned_by": "甲", "return_recorded_by": desk.staff_id}),
        rec(LOAN, uid(43), s1, {"site_id": s1, "key_id": uid(32), **loan, "voided": True,
                                "void_reason": "錯", "voided_by": supervisor.staff_id},
            deleted=True),
    ]
