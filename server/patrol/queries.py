"""What the office reads about patrol rounds: today's board per site and one round's
timeline. Scoped like every office query (a round of another site is not found).

The board's state of a round is read from its record, and from the clock for what the
planner has not marked yet: a planned round past its start window shows missed, a round in
progress past its due time shows late. Beside each guard: when their phones last reached the
server (a round can be missed because a phone never syncs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from server.accounts.schemas import CurrentUser
from server.accounts.tables import Device
from server.lib import reviewed
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.queries import (
    as_id,
    both,
    json_value,
    local_day_start,
    local_time,
    now,
    plain,
    require_id,
    site_and_sites,
    staff_names,
    to_datetime,
)
from server.lib.timezone import estate_zone
from server.patrol.labels import FLAG_LABELS
from server.patrol.tables import (
    PatrolChecklist,
    PatrolCheckpoint,
    PatrolIncident,
    PatrolRound,
    PatrolRoute,
    PatrolScan,
)
from server.review.queries import SKEW_LIMIT
from server.sync.tables import SyncClient
from sync.domains.patrol.records import METHODS, REVIEWS, SEVERITIES

# device time further than this from receipt: the "Backdated" badge — the project's one skew
# limit, so a visit badged here is the entry flagged in the round's history (and the keys')
BACKDATED_AFTER = SKEW_LIMIT


def board_state(r: Mapping[str, Any], at: datetime) -> str:
    """done, incomplete, in_progress, late, missed or planned: what the board shows."""
    status = str(r["status"])
    if status == "planned":
        start_by = to_datetime(r["start_by"])
        return "missed" if start_by is not None and start_by < at else "planned"
    if status == "in_progress":
        due = to_datetime(r["due_by"])
        return "late" if (due is not None and due < at) or r["late"] else "in_progress"
    if status == "done" and r["late"]:
        return "late"
    return status


async def last_heard(staff_ids: Iterable[str]) -> dict[str, datetime | None]:
    """When each staff member's phones last pushed, pulled or showed their token."""
    ids = sorted({i for i in (as_id(s) for s in staff_ids) if i})
    out: dict[str, datetime | None] = dict.fromkeys(ids)
    if not ids:
        return out

    def later(sid: str, value: Any) -> None:
        at = to_datetime(value)
        if at is not None and (out[sid] is None or at > out[sid]):  # type: ignore[operator]
            out[sid] = at

    for c in await SyncClient.select(SyncClient.staff, SyncClient.last_push_at,
                                     SyncClient.last_pull_at).where(SyncClient.staff.is_in(ids)):
        later(str(c["staff"]), c["last_push_at"])
        later(str(c["staff"]), c["last_pull_at"])
    for d in await Device.select(Device.staff, Device.last_seen_at).where(
            Device.staff.is_in(ids)):
        later(str(d["staff"]), d["last_seen_at"])
    return out


def day_bounds(day: str) -> tuple[datetime, str]:
    start = local_day_start(day)
    if start is None:
        today = now().astimezone(estate_zone()).date().isoformat()
        return local_day_start(today) or now(), today
    return start, day


async def board(user: CurrentUser, site: str, day: str = "", review: str = ""
                ) -> dict[str, Any]:
    """The site's rounds of the day (``review``: only those in that review state)."""
    chosen, sites = await site_and_sites(user, site)
    start, day = day_bounds(day)
    rounds = [plain(r) for r in await PatrolRound.select(
        PatrolRound.id, PatrolRound.route, PatrolRound.slot_at, PatrolRound.start_by,
        PatrolRound.due_by, PatrolRound.guard_ids, PatrolRound.status, PatrolRound.started_at,
        PatrolRound.started_by, PatrolRound.finished_at, PatrolRound.late,
        PatrolRound.unscheduled,
    ).where(both((PatrolRound.site == chosen["id"]) & (PatrolRound.slot_at >= start)
                 & (PatrolRound.slot_at < start + timedelta(days=1)),
                 reviewed.clause(PatrolRound.id, "round", review))
            ).order_by(PatrolRound.slot_at)]
    routes = {str(r["id"]): plain(r) for r in await PatrolRoute.select(
        PatrolRoute.id, PatrolRoute.name, PatrolRoute.checkpoint_ids).where(
        PatrolRoute.site == chosen["id"])}
    ids = [r["id"] for r in rounds]
    visited: dict[str, set[str]] = {}
    for s in (await PatrolScan.select(PatrolScan.round, PatrolScan.checkpoint).where(
            PatrolScan.round.is_in(ids)) if ids else []):
        visited.setdefault(str(s["round"]), set()).add(str(s["checkpoint"]))
    guard_ids = {str(g) for r in rounds for g in [*(json_value(r["guard_ids"]) or []),
                                                  r["started_by"]] if g}
    names = await staff_names(guard_ids)
    heard = await last_heard(guard_ids)
    await reviewed.add_reviews("round", rounds)
    at = now()
    totals: dict[str, int] = {}
    for r in rounds:
        route = routes.get(str(r["route"]), {})
        stops = [str(i) for i in json_value(route.get("checkpoint_ids")) or []]
        r["route_name"] = route.get("name", "")
        r["progress"] = (len(visited.get(r["id"], set()) & set(stops)), len(stops))
        r["state"] = board_state(r, at)
        totals[r["state"]] = totals.get(r["state"], 0) + 1
        r["slot"], r["start_by_text"] = local_time(r["slot_at"]), local_time(r["start_by"])
        r["due"] = local_time(r["due_by"])
        people = [str(g) for g in json_value(r["guard_ids"]) or []]
        if r["started_by"] and str(r["started_by"]) not in people:
            people.append(str(r["started_by"]))
        r["guards"] = [{"id": g, "name": names.get(g, g), "heard": heard.get(g),
                        "heard_text": local_time(heard.get(g)) if heard.get(g) else ""}
                       for g in people]
    return {"site": chosen, "sites": sites, "day": day, "rounds": rounds, "totals": totals,
            "review_state": review if review in reviewed.FILTER_STATES else "",
            "review_href": reviewed.link("round", chosen["id"], review)}


async def _checklists(site: str) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The site's checklists by id, and which one each kind of place uses."""
    rows = [plain(c) for c in await PatrolChecklist.select(
        PatrolChecklist.id, PatrolChecklist.name, PatrolChecklist.for_kind,
        PatrolChecklist.items, PatrolChecklist.active).where(PatrolChecklist.site == site)]
    by_kind = {c["for_kind"]: c["id"] for c in rows if c["for_kind"] and c["active"]}
    return {c["id"]: c for c in rows}, by_kind


def _answers(answers: Any, checklist: Mapping[str, Any] | None) -> list[dict[str, str]]:
    given = answers if isinstance(answers, dict) else {}
    items = json_value(checklist["items"]) if checklist else []
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("id") in given:
            value = given[item["id"]]
            text = (_("Yes") if value else _("No")) if isinstance(value, bool) else str(value)
            if item.get("unit"):
                text = f"{text} {item['unit']}"
            out.append({"label": str(item.get("label", "")), "value": text})
    known = {i.get("id") for i in items if isinstance(i, dict)} if isinstance(items, list) \
        else set()
    out += [{"label": str(k), "value": str(v)} for k, v in given.items() if k not in known]
    return out


def _visit(s: dict[str, Any], checklist: Mapping[str, Any] | None,
           names: Mapping[str, str]) -> dict[str, Any]:
    scanned, received = to_datetime(s["scanned_at"]), to_datetime(s["created_at"])
    s["device_time"] = local_time(scanned, seconds=True)
    s["receipt_time"] = local_time(received, seconds=True)
    s["backdated"] = bool(scanned and received and abs(received - scanned) > BACKDATED_AFTER)
    s["method_label"] = METHODS.get(s["method"], s["method"])
    s["severity_label"] = SEVERITIES.get(s["severity"], s["severity"])
    s["review_label"] = REVIEWS.get(s["review"], s["review"])
    s["flag_labels"] = [FLAG_LABELS.get(f, f) for f in json_value(s["flags"]) or []]
    s["answer_rows"] = _answers(json_value(s["answers"]), checklist)
    s["photo_list"] = [p for p in json_value(s["photos"]) or [] if isinstance(p, str)]
    s["by"] = names.get(str(s["scanned_by"]), "")
    s["reviewer"] = names.get(str(s["reviewed_by"]), "") if s["reviewed_by"] else ""
    return s


async def round_timeline(user: CurrentUser, round_id: str) -> dict[str, Any]:
    """Each checkpoint of the round's route in order with its visits (device and receipt
    times, how it was read, answers, photos, flags, skips); visits off the route after."""
    row = await PatrolRound.select(*PatrolRound.all_columns(),
                                   PatrolRound.site.name.as_alias("site_name")).where(
        PatrolRound.id == require_id(round_id)).first()
    if row is None or not user.can_see_site(str(row["site"])):
        raise NotFound(_("Not found."))
    rnd = plain(row)
    site = str(rnd["site"])
    route = await PatrolRoute.select().where(PatrolRoute.id == rnd["route"]).first() or {}
    stops = [str(i) for i in json_value(route.get("checkpoint_ids")) or []]
    scans = [plain(s) for s in await PatrolScan.select().where(
        PatrolScan.round == rnd["id"]).order_by(PatrolScan.scanned_at)]
    # the route's stops, then the checkpoints off it in the order first visited
    wanted = list(dict.fromkeys([*stops, *(str(s["checkpoint"]) for s in scans)]))
    incidents = [plain(i) for i in await PatrolIncident.select().where(
        PatrolIncident.round == rnd["id"]).order_by(PatrolIncident.reported_at)]
    named = sorted({*wanted, *(str(i["checkpoint"]) for i in incidents)})
    checkpoints = {str(c["id"]): plain(c) for c in await PatrolCheckpoint.select(
        PatrolCheckpoint.id, PatrolCheckpoint.code, PatrolCheckpoint.name,
        PatrolCheckpoint.kind, PatrolCheckpoint.checklist, PatrolCheckpoint.floor,
        PatrolCheckpoint.place).where(PatrolCheckpoint.id.is_in(named))} if named else {}
    lists, by_kind = await _checklists(site)
    names = await staff_names([*(s["scanned_by"] for s in scans),
                               *(s["reviewed_by"] for s in scans), rnd["started_by"],
                               rnd["finished_by"], *(json_value(rnd["guard_ids"]) or [])])
    at = now()
    state = board_state(rnd, at)
    over = state in ("missed", "done", "incomplete") or rnd["finished_at"] is not None or \
        (to_datetime(rnd["due_by"]) or at) < at

    def stop(cid: str) -> dict[str, Any]:
        c = checkpoints.get(cid, {"id": cid, "code": "?", "name": "", "kind": "",
                                  "checklist": None, "floor": "", "place": ""})
        checklist = lists.get(str(c["checklist"])) if c["checklist"] else \
            lists.get(by_kind.get(str(c["kind"]), ""))
        visits = [_visit(s, checklist, names) for s in scans if str(s["checkpoint"]) == cid]
        return {**c, "visits": visits, "missed": not visits and over}

    for i in incidents:
        i["reported"] = local_time(i["reported_at"], seconds=True)
        i["received"] = local_time(i["created_at"], seconds=True)
        i["photo_list"] = [p for p in json_value(i["photos"]) or [] if isinstance(p, str)]
        i["severity_label"] = SEVERITIES.get(i["severity"], i["severity"])
        c = checkpoints.get(str(i["checkpoint"]), {})
        i["checkpoint_label"] = f"{c.get('code', '?')} · {c.get('name', '')}"
    rnd.update(state=state, route_name=route.get("name", ""), slot=local_time(rnd["slot_at"]),
               start_by_text=local_time(rnd["start_by"]), due=local_time(rnd["due_by"]),
               started=local_time(rnd["started_at"], seconds=True),
               finished=local_time(rnd["finished_at"], seconds=True),
               guard_names=[names.get(str(g), str(g)) for g in json_value(rnd["guard_ids"])
                            or []],
               started_by_name=names.get(str(rnd["started_by"]), ""),
               finished_by_name=names.get(str(rnd["finished_by"]), ""))
    return {"round": rnd, "stops": [stop(c) for c in stops],
            "off_route": [stop(c) for c in wanted if c not in stops],
            "ordered": bool(route.get("ordered", True)), "incidents": incidents,
            "missed_count": sum(1 for c in stops if over and not any(
                str(s["checkpoint"]) == c for s in scans))}
