"""Generated cases for the parity test: a small estate (sites, units, keys, loans, blobs),
five people, and a sequence of mutations whose arguments are drawn from the declarations —
every declared mutation, with valid values mostly and, often enough, every kind of bad one
(too long, forbidden characters, invisible text, look-alike codes, wrong types, unknown
fields, unknown references, dates out of range, unknown blobs).

Nothing here names a domain's rules: values come from each argument's declared field (its
kind, limits, allowed values, pattern, reference); ids come from the records of the case
(and the ones earlier steps created).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from sync.domains import default_registry, scenarios
from sync.kit.fields import Field
from sync.registry import MutationSpec
from sync.streams import space
from tests.parity.bad_values import BLOBS, IDS, bad_value

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
S1 = "11111111-1111-4111-8111-111111111111"
S2 = "22222222-2222-4222-8222-222222222222"
GHOST = "99999999-9999-4999-8999-999999999999"  # assigned, never created
NAMED = "e" * 64  # uploaded by nobody here, named by a loan of site 1 (readable there only)
REG = default_registry()


def uid(n: int) -> str:
    return str(uuid.UUID(int=n, version=4))


@dataclass(frozen=True)
class Actor:
    staff_id: str
    device_id: str
    role: str
    sites: tuple[str, ...]
    client_id: str

    @property
    def node(self) -> str:
        return self.client_id.replace("-", "")[-12:]

    def js(self) -> dict[str, Any]:
        return {"staff_id": self.staff_id, "device_id": self.device_id, "role": self.role,
                "sites": list(self.sites)}


ACTORS = (
    Actor(uid(1), uid(101), "front_desk", (S1, GHOST), uid(201)),
    Actor(uid(2), uid(102), "front_desk", (S1,), uid(202)),
    Actor(uid(3), uid(103), "supervisor", (S1, S2), uid(203)),
    Actor(uid(4), uid(104), "patrol", (S1,), uid(204)),
    Actor(uid(5), uid(105), "front_desk", (S2,), uid(205)),
    Actor(uid(6), uid(106), "technician", (S1,), uid(206)),  # only their own visits
)


def rec(type_: str, id_: str, site: str, data: dict[str, Any], *, deleted: bool = False,
        field_hlc: dict[str, str] | None = None) -> dict[str, Any]:
    stream = REG.records[type_].stream
    return {"type": type_, "id": id_, "space": space(site, stream), "data": data,
            "field_hlc": field_hlc or {}, "deleted": deleted}


def hlc(wall_ms: int, counter: int, node: str) -> str:
    return f"{wall_ms:013d}-{counter:04x}-{node}"


@dataclass(frozen=True)
class Seed:
    """What a domain's starting records may name (its ``scenario.parity_records(seed)``):
    the two sites and their units, the people, uploaded blobs, an early clock value."""

    sites: tuple[str, str] = (S1, S2)
    units: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        S1: (uid(11), uid(12)), S2: (uid(13),)})
    actors: tuple[Actor, ...] = ACTORS
    blobs: tuple[str, ...] = tuple(BLOBS)
    named_blob: str = NAMED
    t0: datetime = T0
    early: str = hlc(int(T0.timestamp() * 1000) - 3_600_000, 0, "000000000001")

    def uid(self, n: int) -> str:
        return uid(n)

    def rec(self, type_: str, id_: str, site: str, data: dict[str, Any], *,
            deleted: bool = False, field_hlc: dict[str, str] | None = None) -> dict[str, Any]:
        return rec(type_, id_, site, data, deleted=deleted, field_hlc=field_hlc)


def estate() -> list[dict[str, Any]]:
    """The records every case starts from (as a pull would have left them): the sites and
    units every domain needs, then each domain's own (``parity_records`` beside its
    convergence scenario: sync/domains/<name>/scenario.py)."""
    out = [
        rec("site", S1, S1, {"code": "HYG", "name": "海悅花園", "address": ""}),
        rec("site", S2, S2, {"code": "JHT", "name": "景華臺", "address": ""}),
        rec("unit", uid(11), S1, {"site_id": S1, "building_id": uid(21), "number": "A-12C",
                                  "floor": "12", "area": 50.5, "use": "residential"}),
        rec("unit", uid(12), S1, {"site_id": S1, "building_id": uid(21), "number": "B-3",
                                  "floor": "3", "area": None, "use": "residential"}),
        rec("unit", uid(13), S2, {"site_id": S2, "building_id": uid(22), "number": "C-1",
                                  "floor": "1", "area": None, "use": "residential"}),
    ]
    seed = Seed()
    for module in scenarios():
        out += module.parity_records(seed)
    return out


START = estate()
# an argument that carries another field's values too (a scan's token is a typed code then)
# (a key's code or label now and then naming a unit)
ALSO = {"token": ("code",), "label": ("unit.number",), "code": ("unit.number",)}
# good values of the declared JSON fields, by field name (their checks are the rules')
JSON_VALUES: dict[str, list[Any]] = {
    "answers": [{}, {"pressure": 5}, {"leak": True, "pressure": 1.5}, {"note": "ok"}],
    "items": [[], [{"id": "a", "label": "門", "type": "yesno"}]],
    "charges": [[], [{"item": "喉管", "qty": 2, "amount": 35.5}],
                [{"item": "x", "qty": 1, "amount": 0.125}, {"item": "膠紙", "qty": 3, "amount": 8}],
                [{"item": "", "qty": 0, "amount": -1}]],
}
# values of the records' indexed text fields (codes, QR tokens) by field name, and by
# "type.field": arguments of the same name draw from them too (a tag of the other site, a
# retired one, a code typed)
INDEXED_VALUES: dict[str, list[str]] = {}
for _r in START:
    for _f in REG.records[_r["type"]].fields:
        if _f.indexed and _f.kind == "text" and isinstance(_r["data"].get(_f.name), str):
            INDEXED_VALUES.setdefault(_f.name, []).append(_r["data"][_f.name])
            INDEXED_VALUES.setdefault(f"{_r['type']}.{_f.name}", []).append(_r["data"][_f.name])
# values of the records' ids that name no declared type (a gate check's pass, as its QR said:
# the pass may not have reached the server) by field name: arguments of the name draw them
UNTYPED_IDS: dict[str, list[str]] = {}
for _r in START:
    for _f in REG.records[_r["type"]].fields:
        if _f.kind == "uuid" and not _f.ref and isinstance(_r["data"].get(_f.name), str):
            UNTYPED_IDS.setdefault(_f.name, []).append(_r["data"][_f.name])


# which starting records refer to which (both ways): a mutation's references mostly name
# records that belong together (a card and its issue, a unit and its resident)
LINKS: dict[str, set[str]] = {}
for _r in START:
    for _f in REG.records[_r["type"]].fields:
        _v = _r["data"].get(_f.name)
        if _f.kind == "uuid" and _f.ref and isinstance(_v, str):
            LINKS.setdefault(_r["id"], set()).add(_v)
            LINKS.setdefault(_v, set()).add(_r["id"])


def list_items(f: Field) -> list[str]:
    """Items of a list of codes (a card's access scope): the indexed codes of the case's
    records that the declared item format accepts (none for a list of ids)."""
    pattern = re.compile(f.item_pattern) if f.item_pattern else None
    return sorted({v for values in INDEXED_VALUES.values() for v in values
                   if pattern is not None and pattern.fullmatch(v)
                   and len(v) <= (f.item_max_length or len(v))})


# --- values from the declarations ----------------------------------------------------------

NICE_TEXT = st.sampled_from(["陳大文", "Chan Tai Man", "維修水喉", "HK$100", "K-12", "a b",
                             "owner phoned", "x", "A-12C 業主寄存"])


def good_value(draw: Any, f: Field, pools: Pools, moment: list[int]) -> Any:
    """A value the declaration accepts (references to records of the case)."""
    if f.kind == "uuid" and not f.ref:  # mostly one the case's records name in this field
        untyped = UNTYPED_IDS.get(f.name, [])
        return draw(st.sampled_from(untyped)) if untyped and draw(st.integers(0, 2)) else \
            draw(IDS)
    if f.kind == "uuid":
        known = pools.ids.get(f.ref) or []
        # mostly records of the acting person's sites, of the site the mutation's other
        # references name, and among those one the records named so far refer to or are
        # referred to by (a card's issue, a unit's resident): so the rules past the checks run
        mine = [i for i in known if pools.site_of.get(i) in pools.actor_sites]
        near = [i for i in mine if pools.site_of.get(i) == pools.focus] or mine
        how = draw(st.integers(0, 5))
        for pool, at_least in ((pools.linked(near), 2), (near, 1)):
            if pool and how >= at_least:
                return pools.named(draw(st.sampled_from(pool)))
        return pools.named(draw(st.sampled_from(known))) if known else draw(IDS)
    if f.kind == "ts":
        moment[0] += draw(st.integers(0, 600))  # a mutation's times in order
        return draw(st.builds(_moment, st.just(moment[0]), st.sampled_from([0, 8, -5]),
                              st.sampled_from([0, 0, 123000]), st.integers(0, 1)))
    if f.kind == "bool":
        return draw(st.booleans())
    if f.kind in ("int", "float"):  # in the declared range (a fee, a quota)
        lo, hi = f.minimum or 0, f.maximum if f.maximum is not None else 1000
        numbers: Any = st.integers(int(lo), int(min(hi, lo + 500)))
        if f.kind == "float":
            numbers = st.one_of(numbers, st.sampled_from([lo + 0.5, hi]))
        return draw(numbers)
    if f.kind == "list":
        if f.blob:
            return draw(st.lists(st.sampled_from(BLOBS), max_size=2))
        if not f.item_pattern:  # free text lines (a pass's items)
            return draw(st.lists(NICE_TEXT, max_size=3))
        codes = list_items(f)  # codes of the case's records (a zone's, a key's…)
        return draw(st.lists(st.sampled_from(codes), max_size=2, unique=True)) if codes else []
    if f.kind == "json":
        return draw(st.sampled_from(JSON_VALUES.get(f.name, [{}])))
    if f.choices:
        return draw(st.sampled_from(sorted(f.choices)))
    if f.blob:
        return draw(st.sampled_from([*BLOBS, NAMED]))
    if f.text == "idpart":
        return draw(st.sampled_from(["123A", "(456b)", "７８９０"]))
    if f.text == "hlc":
        return ""
    # now and then another field's value (a code typed for a token), else mostly a value of
    # the same field of the case's records (a tag of the other site, a retired one)
    also = [v for other in ALSO.get(f.name, ()) for v in INDEXED_VALUES.get(other, [])]
    own = INDEXED_VALUES.get(f.name, [])
    if f.pattern:  # of those, the ones of the declared format (a pass's QR is no key's code)
        also, own = ([v for v in values if re.fullmatch(f.pattern, v)] for values in (also, own))
    how = draw(st.integers(0, 7)) if f.kind == "text" and (also or own) else 7
    if also and how < 2:
        return draw(st.sampled_from(also))
    if own and how >= 4:
        return draw(st.sampled_from(own))
    if f.pattern:  # a value of the declared format (now and then showing a unit number)
        limit = f.max_length or 12
        return draw(st.one_of(st.from_regex(f.pattern, fullmatch=True, alphabet=st.characters(
            codec="ascii")).filter(lambda v: 0 < len(v) <= limit),
            st.sampled_from(["HYG-A12C"])))
    return draw(st.one_of(NICE_TEXT, st.sampled_from(["  spaced   out  ", "ＨＹＧ-Ｋ９", "ß"])))


def _moment(minutes: int, offset_h: int, micro: int, style: int) -> str:
    zone = timezone(timedelta(hours=offset_h))
    at = (T0 + timedelta(minutes=minutes)).replace(microsecond=micro).astimezone(zone)
    text = at.isoformat()
    return text.replace("+00:00", "Z") if style == 1 and offset_h == 0 else text


@dataclass
class Pools:
    """Ids of the records of the case, by type (and the ones created so far)."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    made: int = 0
    site_of: dict[str, str] = field(default_factory=dict)  # record id -> its site
    actor_sites: tuple[str, ...] = ()  # the sites of the person acting now
    focus: str = ""  # the site the references of the mutation drawn now name first
    picked: list[str] = field(default_factory=list)  # the references it names so far
    # id -> the ids it refers to or is referred to by (the starting records' references)
    links: dict[str, set[str]] = field(default_factory=dict)

    def named(self, record_id: str) -> str:
        """``record_id``, drawn as a reference: the first one decides the mutation's site."""
        self.focus = self.focus or self.site_of.get(record_id, "")
        self.picked.append(record_id)
        return record_id

    def linked(self, ids: list[str]) -> list[str]:
        """Those of ``ids`` the latest record named so far that has any refers to, or is
        referred to by (a unit's residents rather than its site's)."""
        for p in reversed(self.picked):
            found = [i for i in ids if i in self.links.get(p, ())]
            if found:
                return found
        return []

    def start(self) -> None:
        """A new mutation's arguments: no reference named yet."""
        self.focus, self.picked = "", []

    def new_id(self) -> str:
        """An id no record of the case has yet (as a phone makes them)."""
        self.made += 1
        return str(uuid.UUID(int=8 * 10**9 + self.made, version=4))


def args_for(draw: Any, spec: MutationSpec, pools: Pools, mode: str) -> dict[str, Any]:
    """Arguments of one mutation, from its declared arguments: all good, one bad, or wild."""
    creating = {arg for _t, arg in spec.creates}
    pools.start()
    moment = [draw(st.integers(-300, 300))]
    bad = draw(st.sampled_from([a.name for a in spec.args])) if mode == "one_bad" else ""
    out: dict[str, Any] = {}
    for a in spec.args:
        if a.fields:
            names = draw(st.lists(st.sampled_from([s.name for s in a.fields]),
                                  min_size=0 if mode != "good" else 1, max_size=3, unique=True))
            out[a.name] = {s.name: (bad_value(draw, s.field) if a.name == bad
                                    else good_value(draw, s.field, pools, moment))
                           for s in a.fields if s.name in names}
            continue
        if a.name in creating and a.name != bad and draw(st.integers(0, 5)):
            out[a.name] = pools.new_id()  # a new record (else an existing id: a repeat)
            continue
        if not a.required and a.name != bad and \
                draw(st.integers(0, 3)) == 0:
            continue  # left out: its default
        wild = mode == "wild" and draw(st.integers(0, 3)) == 0
        out[a.name] = (bad_value(draw, a.field) if a.name == bad or wild
                       else good_value(draw, a.field, pools, moment))
    if mode == "wild" and draw(st.integers(0, 8)) == 0:
        out["unexpected"] = 1
    if mode == "wild" and out and draw(st.integers(0, 8)) == 0:
        out.pop(next(iter(out)))  # a required one may go missing
    return out


def repeated(args: dict[str, Any], spec: MutationSpec, pools: Pools) -> dict[str, Any]:
    """An earlier step done again on another phone while both were offline (the same key
    lent, the same card handed out, the same round finished twice): the same arguments, the
    record it creates under a new id."""
    out = dict(args)
    if spec.creates and isinstance(out.get(spec.creates[0][1]), str):
        out[spec.creates[0][1]] = pools.new_id()
    return out


@st.composite
def steps(draw: Any, n_max: int = 14) -> list[dict[str, Any]]:
    """A sequence of mutations by the five people, each a draw over every declared one (now
    and then an earlier one again, as a second phone would)."""
    ids: dict[str, list[str]] = {}
    for r in START:
        ids.setdefault(r["type"], []).append(r["id"])
    ids["site"].append(GHOST)  # a site assigned but never created
    pools = Pools(ids, site_of={r["id"]: r["space"].split(":")[0] for r in START}
                  | {GHOST: GHOST}, links=LINKS)
    names = REG.names()
    out: list[dict[str, Any]] = []
    wall = int(T0.timestamp() * 1000)
    counters = dict.fromkeys(range(len(ACTORS)), 0)
    for i in range(draw(st.integers(1, n_max))):
        again = draw(st.sampled_from(out)) if out and draw(st.integers(0, 7)) == 0 else None
        name = again["name"] if again else draw(st.sampled_from(names))
        spec = REG.get(name)
        assert spec is not None
        # mostly someone whose role may make it (the others meet forbidden_role)
        allowed = [n for n, a in enumerate(ACTORS) if a.role in spec.roles]
        who = draw(st.sampled_from(allowed)) if allowed and draw(st.integers(0, 3)) else \
            draw(st.sampled_from(range(len(ACTORS))))
        actor = ACTORS[who]
        mode = draw(st.sampled_from(["good", "good", "good", "good", "one_bad", "wild"]))
        pools.actor_sites = actor.sites
        if again is not None:
            a = repeated(again["args"], spec, pools)
        else:
            a = args_for(draw, spec, pools, mode)
        for _ in range(6):  # good arguments pass the mutation's own cross-field checks too
            if again or mode != "good" or not spec.decoder.problems(a)[1]:
                break
            a = args_for(draw, spec, pools, mode)
        named = [pools.site_of[v] for v in a.values() if isinstance(v, str) and v in pools.site_of]
        for t, arg in spec.creates:
            if isinstance(a.get(arg), str):
                pools.ids.setdefault(t, []).append(a[arg])
                if named:
                    pools.site_of[a[arg]] = named[0]
        counters[who] += 1
        # now and then a phone whose clock is hours behind (long offline): its corrections
        # lose to what the records already hold
        behind = 2 * 3_600_000 if draw(st.integers(0, 5)) == 0 else 0
        stamp = hlc(wall - behind + i * 1000 + draw(st.integers(-30_000, 30_000)),
                    counters[who], actor.node)
        out.append({"actor": who, "name": name, "args": a, "hlc": stamp})
    return out
