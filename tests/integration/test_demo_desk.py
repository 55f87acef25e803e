"""The demo estate's front-desk logs, as the office, the gate's phones and the rules see them:
eight weeks of visitors at both sites (someone inside today, one left inside past the cut-off),
goods-out passes whose QR codes the issuing phone's registered key really signed (the gate
guard's phone verifies them from what it pulled), exactly one refused at the gate and one
let out twice, a handover at every shift change signed by both but the latest — all written
through the phones' push path (audit with device and server times, none refused) and valid
by the declarations — on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sync.domains.desk import passcode


def _moment(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def _staff(username: str) -> str:
    from server.accounts.tables import Staff

    row = await Staff.select(Staff.id).where(Staff.username == username).first()
    assert row is not None, username
    return str(row["id"])


async def test_the_demo_estate_has_eight_weeks_of_front_desk_logs(client: Any,
                                                                 settings: Any) -> None:
    from server.accounts.tables import Device
    from server.demo.desk_texts import HISTORY_DAYS, SHIFT_HOURS
    from server.demo.loader import load_demo
    from server.desk import cutoff
    from server.desk.tables import DeviceKey, GoodsPass, Handover, PassCheck, Visitor
    from server.estate.tables import Resident, Site, Unit
    from server.lib.timezone import estate_zone
    from server.sync.tables import AuditEntry, Blob, Conflict, Rejection

    counts = await load_demo()
    now = datetime.now(UTC)
    zone = estate_zone()
    today = now.astimezone(zone).date()
    sites = {str(s["id"]): s["code"] for s in await Site.select(Site.id, Site.code)}
    units = {str(u["id"]): str(u["site"]) for u in await Unit.select(Unit.id, Unit.site)}
    residents = {str(r["id"]): r for r in await Resident.select(
        Resident.id, Resident.unit, Resident.phone)}
    desk_names = ("visitor.", "pass.", "handover.", "desk.")
    assert not [r["name"] for r in await Rejection.select(Rejection.name)
                if r["name"].startswith(desk_names)]

    # the visitor register: every day of eight weeks at both sites, a few to fifteen a day
    visitors = await Visitor.select()
    assert counts["visitors"] == len(visitors)
    days = Counter((sites[str(v["site"])], _moment(v["time_in"]).astimezone(zone).date())
                   for v in visitors)
    for code in ("HYG", "JHT"):
        for k in range(HISTORY_DAYS - 1):  # today may have just begun
            assert 1 <= days[(code, today - timedelta(days=HISTORY_DAYS - 1 - k))] <= 16
    assert min(_moment(v["time_in"]) for v in visitors) < now - timedelta(days=HISTORY_DAYS - 2)
    assert max(_moment(v["time_in"]) for v in visitors) <= now
    for v in visitors:
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}(（.+）)?", v["name"]), v["name"]
        assert re.fullmatch(r"[A-Z0-9]{4}", v["id_last4"]) and v["badge"] and v["purpose"]
        assert units[str(v["unit"])] == str(v["site"])
        if v["confirmed_by"] == "resident":
            assert str(residents[str(v["resident"])]["unit"]) == str(v["unit"])
            assert v["called_number"] == ""
        else:
            assert v["resident"] is None and v["called_number"]
        if v["time_out"] is not None:
            assert _moment(v["time_out"]) > _moment(v["time_in"])
    assert Counter(v["id_type"] for v in visitors).most_common(1)[0][0] == "hkid"
    assert Counter(v["confirmed_by"] for v in visitors).keys() == {"resident", "phone"}
    assert {"探訪親友", "送貨", "裝修估價", "維修"} <= {v["purpose"] for v in visitors}
    inside_today = [v for v in visitors if v["time_out"] is None
                    and _moment(v["time_in"]).astimezone(zone).date() == today]
    assert {sites[str(v["site"])] for v in inside_today} == {"HYG", "JHT"}
    # the office's exceptions (inside past the cut-off hour) before today: one or two
    late = [v for v in visitors if cutoff.is_late(v["time_in"], v["time_out"], now)
            and _moment(v["time_in"]).astimezone(zone).date() < today]
    assert 1 <= len(late) <= 2
    assert any(v["time_out"] is None for v in late)

    # device keys: one per desk person's phone per site, each on a registered device
    keys = {str(k["id"]): k for k in await DeviceKey.select()}
    devices = {str(d["id"]): str(d["staff"]) for d in await Device.select(Device.id,
                                                                            Device.staff)}
    assert len(keys) == 5
    assert all(devices[str(k["device"])] == str(k["staff"]) for k in keys.values())
    assert len({(str(k["staff"]), str(k["site"])) for k in keys.values()}) == len(keys)

    # passes: genuinely signed by the key they name, saying what the pass says
    passes = await GoodsPass.select()
    assert counts["goods_passes"] == len(passes) and len(passes) >= 16
    blobs = {b["sha256"] for b in await Blob.select(Blob.sha256)}
    for p in passes:
        key = keys[str(p["key"])]
        assert str(key["site"]) == str(p["site"])
        content = passcode.verify(p["code"], key["public_key"])
        assert content is not None, p["number"]
        assert content["id"] == str(p["id"]) and content["n"] == p["number"]
        assert content["it"] == _json(p["items"]) and content["c"] == p["item_count"]
        assert content["b"] == p["basis"] and content["u"] == str(p["unit"])
        issued = _moment(p["issued_at"]).astimezone(zone)
        assert p["number"] == f"G{issued:%y%m%d}-{str(p['id'])[-4:].upper()}"
        assert _moment(p["valid_until"]) > _moment(p["issued_at"])
        if p["basis"] == "written":
            assert p["authorisation_photo"] in blobs
        if p["basis"] == "phone":
            assert p["phoned_number"] and p["phoned_at"] is not None
    assert {p["basis"] for p in passes} == {"owner_present", "written", "phone"}
    # and no other key verifies it, nor does its own an edited one
    first, own = passes[0], keys[str(passes[0]["key"])]["public_key"]
    other = next(k for i, k in keys.items() if i != str(first["key"]))
    assert passcode.verify(first["code"], other["public_key"]) is None
    head, _payload, signature = first["code"].split(".")
    content = passcode.verify(first["code"], own)
    assert content is not None
    edited = passcode.payload_text({**content, "c": first["item_count"] + 1})
    assert passcode.verify(f"{head}.{edited}.{signature}", own) is None

    # gate checks: all genuine; exactly one refused (the goods did not match), one pass let
    # out at two gates
    checks = await PassCheck.select()
    assert counts["pass_checks"] == len(checks)
    assert {c["verdict"] for c in checks} == {"valid"}
    refused = [c for c in checks if c["outcome"] != "passed"]
    assert [(c["outcome"], bool(c["note"])) for c in refused] == [("mismatch", True)]
    twice = [pid for pid, n in Counter(str(c["pass_id"]) for c in checks
                                       if c["outcome"] == "passed").items() if n > 1]
    assert len(twice) == 1
    conflicts = await Conflict.select().where(Conflict.kind == "pass_used_twice")
    assert [(_json(c["details"])["pass_id"], c["status"]) for c in conflicts] == [
        (twice[0], "open")]

    # handovers: every shift change, both signatures but the latest one at each site
    handovers = await Handover.select()
    assert counts["handovers"] == len(handovers)
    for site, code in sites.items():
        mine = sorted((h for h in handovers if str(h["site"]) == site),
                      key=lambda h: _moment(h["shift_end"]))
        ends = [_moment(h["shift_end"]).astimezone(zone) for h in mine]
        assert all(e.hour in SHIFT_HOURS and e.minute == 0 for e in ends)
        assert [b - a for a, b in itertools.pairwise(ends)] == [
            timedelta(hours=12)] * (len(ends) - 1)
        assert ends[-1] <= now < ends[-1] + timedelta(hours=12), code
        assert len(mine) >= 2 * HISTORY_DAYS - 2
        waiting = mine[-1]
        assert waiting["received_at"] is None and not waiting["incoming_signature"]
        for h in mine[:-1]:
            assert h["outgoing_signature"] in blobs and h["incoming_signature"] in blobs
            assert h["incoming_name"] and h["incoming_name"] != h["outgoing_name"]
            assert _moment(h["received_at"]) > _moment(h["drafted_at"])
        for h in mine:
            summary = _json(h["summary"])
            assert {k for k, v in summary.items() if isinstance(v, int)} == {
                "keys_out", "cards_in_stock", "blacklists_pending", "rounds_done"}
            for listed in ("keys_overdue", "rounds_missed", "requests_open", "incidents_open",
                           "visitors_inside"):
                assert all(set(x) == {"label"} and x["label"] for x in summary[listed]), listed
        assert any(_json(h["summary"])["visitors_inside"] for h in mine)
        assert any(_json(h["summary"])["rounds_done"] for h in mine)
        assert any(h["notes"] for h in mine)
    assert any(h["incoming"] is not None for h in handovers)  # signed on their own phone
    assert any(h["incoming"] is None and h["received_at"] for h in handovers)

    # written through the phones' push path: each change audited with the phone's device
    # time and the server's receipt a little later
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.device,
                                    AuditEntry.device_time, AuditEntry.server_time).where(
        AuditEntry.record_type.is_in(["visitor", "goods_pass", "pass_check", "handover",
                                      "device_key"]))
    assert Counter(a["action"] for a in audit)["visitor.sign_in"] == len(visitors)
    assert all(a["device"] is not None and _moment(a["device_time"])
               <= _moment(a["server_time"]) for a in audit)
    lag = sorted(_moment(a["server_time"]) - _moment(a["device_time"]) for a in audit)
    assert lag[len(lag) // 2] < timedelta(minutes=1)

    await _the_gate_verifies_passes_offline(client, settings, passes)


async def _the_gate_verifies_passes_offline(client: Any, settings: Any,
                                            passes: list[dict[str, Any]]) -> None:
    """The gate guard's phone receives the keys and the passes, all valid by their
    declarations, and verifies every pass with a key it pulled."""
    from sync.domains import default_registry
    from tests.integration.sync_support import phone, pull_all

    p = await phone(settings, await _staff("guard"))
    await pull_all(client, p)
    registry = default_registry()
    kinds = ("device_key", "visitor", "goods_pass", "pass_check", "handover")
    got = Counter(t for t, _i in p.replica if t in kinds)
    assert got["device_key"] == 3 and got["handover"] > 50 and got["visitor"] > 200
    for (kind, record_id), data in p.replica.items():
        if kind not in kinds:
            continue
        t = registry.records[kind]
        names = [f.name for f in t.fields]
        _stored, problems = t.check_values(data, names)
        assert not problems, (kind, record_id, problems)
    keys = {i: d["public_key"] for (t, i), d in p.replica.items() if t == "device_key"}
    mine = [d for (t, _i), d in p.replica.items() if t == "goods_pass"]
    assert len(mine) == len([x for x in passes if str(x["site"]) == mine[0]["site_id"]])
    assert all(passcode.verify(d["code"], keys[d["key_id"]]) for d in mine)
