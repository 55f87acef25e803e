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

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from sync.domains import default_registry, scenarios
from sync.kit.fields import Field
from sync.registry import MutationSpec
from sync.streams import space

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
S1 = "11111111-1111-4111-8111-111111111111"
S2 = "22222222-2222-4222-8222-222222222222"
GHOST = "99999999-9999-4999-8999-999999999999"  # assigned, never created
BLOBS = ["b" * 64, "c" * 64]  # uploaded by everyone
NAMED = "e" * 64  # uploaded by nobody here, named by a loan of site 1 (readable there only)
STRANGER = "d" * 64  # never uploaded
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
ALSO = {"token": ("code",), "label": ("number",)}  # a label now and then naming a unit
# good values of the declared JSON fields, by field name (their checks are the rules')
JSON_VALUES: dict[str, list[Any]] = {
    "answers": [{}, {"pressure": 5}, {"leak": True, "pressure": 1.5}, {"note": "ok"}],
    "items": [[], [{"id": "a", "label": "門", "type": "yesno"}]],
}
# values of the records' indexed text fields (codes, QR tokens) by field name: arguments of
# the same name draw from them too (a tag of the other site, a retired one, a code typed)
INDEXED_VALUES: dict[str, list[str]] = {}
for _r in START:
    for _f in REG.records[_r["type"]].fields:
        if _f.indexed and _f.kind == "text" and isinstance(_r["data"].get(_f.name), str):
            INDEXED_VALUES.setdefault(_f.name, []).append(_r["data"][_f.name])


# --- values from the declarations ----------------------------------------------------------

NICE_TEXT = st.sampled_from(["陳大文", "Chan Tai Man", "維修水喉", "HK$100", "K-12", "a b",
                             "owner phoned", "x", "A-12C 業主寄存"])
IDS = st.integers(0, 10**6).map(lambda n: str(uuid.UUID(int=n + 7 * 10**9, version=4)))


def good_value(draw: Any, f: Field, pools: Pools, moment: list[int]) -> Any:
    """A value the declaration accepts (references to records of the case)."""
    if f.kind == "uuid":
        known = pools.ids.get(f.ref) or []
        # mostly records of the acting person's sites (so the rules past the checks run)
        mine = [i for i in known if pools.site_of.get(i) in pools.actor_sites]
        if mine and draw(st.integers(0, 3)):
            return draw(st.sampled_from(mine))
        return draw(st.sampled_from(known)) if known else draw(IDS)
    if f.kind == "ts":
        moment[0] += draw(st.integers(0, 600))  # a mutation's times in order
        return draw(st.builds(_moment, st.just(moment[0]), st.sampled_from([0, 8, -5]),
                              st.sampled_from([0, 0, 123000]), st.integers(0, 1)))
    if f.kind == "bool":
        return draw(st.booleans())
    if f.kind == "list":
        return draw(st.lists(st.sampled_from(BLOBS), max_size=2)) if f.blob else []
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
    known = INDEXED_VALUES.get(f.name, []) + [
        v for other in ALSO.get(f.name, ()) for v in INDEXED_VALUES.get(other, [])]
    if f.kind == "text" and known and draw(st.integers(0, 1)):
        return draw(st.sampled_from(known))
    if f.pattern:  # a value of the declared format (now and then showing a unit number)
        limit = f.max_length or 12
        return draw(st.one_of(st.from_regex(f.pattern, fullmatch=True, alphabet=st.characters(
            codec="ascii")).filter(lambda v: 0 < len(v) <= limit),
            st.sampled_from(["HYG-A12C"])))
    return draw(st.one_of(NICE_TEXT, st.sampled_from(["  spaced   out  ", "ＨＹＧ-Ｋ９", "ß"])))


def bad_value(draw: Any, f: Field) -> Any:
    """A value of the right JSON type (mostly) that some check must refuse."""
    if f.kind == "uuid":
        return draw(st.one_of(IDS, st.sampled_from(["not-a-uuid", "", 7, None])))
    if f.kind == "ts":
        return draw(st.sampled_from([
            "9999-01-01T00:00:00+00:00", "0001-01-01T00:00:00+14:00", "2026-03-02T09:00:00",
            "2026-02-30T10:00:00Z", "yesterday", "2026-03-02 09:00:00Z", "2026-03-02T24:00:00Z",
            "2026-03-02T09:00:00+05:99", "1999-12-31T23:00:00-05:00", 5]))
    if f.kind == "bool":
        return draw(st.sampled_from(["yes", 1, None]))
    if f.kind == "list":
        return draw(st.sampled_from([[STRANGER], ["bad"], [1], "x", [BLOBS[0]] * 21]))
    options = ["", " ", "\u200b\u200b", "a\x00b", "K\u202e1-TAG", "tab\there", "line\nbreak",
               "\ufeffbom", "castle", 7, None]
    if f.max_length:
        options += ["x" * (f.max_length + 1), "陳" * (f.max_length + 1)]
    if f.text == "idpart":
        options += ["12", "12345", "12-4"]
    if f.blob:
        options += [STRANGER, "not-a-hash"]
    return draw(st.sampled_from(options))


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

    def new_id(self) -> str:
        """An id no record of the case has yet (as a phone makes them)."""
        self.made += 1
        return str(uuid.UUID(int=8 * 10**9 + self.made, version=4))


def args_for(draw: Any, spec: MutationSpec, pools: Pools, mode: str) -> dict[str, Any]:
    """Arguments of one mutation, from its declared arguments: all good, one bad, or wild."""
    creating = {arg for _t, arg in spec.creates}
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


@st.composite
def steps(draw: Any, n_max: int = 14) -> list[dict[str, Any]]:
    """A sequence of mutations by the five people, each a draw over every declared one."""
    ids: dict[str, list[str]] = {}
    for r in START:
        ids.setdefault(r["type"], []).append(r["id"])
    ids["site"].append(GHOST)  # a site assigned but never created
    pools = Pools(ids, site_of={r["id"]: r["space"].split(":")[0] for r in START}
                  | {GHOST: GHOST})
    names = REG.names()
    out = []
    wall = int(T0.timestamp() * 1000)
    counters = dict.fromkeys(range(len(ACTORS)), 0)
    for i in range(draw(st.integers(1, n_max))):
        name = draw(st.sampled_from(names))
        spec = REG.get(name)
        assert spec is not None
        # mostly someone whose role may make it (the others meet forbidden_role)
        allowed = [n for n, a in enumerate(ACTORS) if a.role in spec.roles]
        who = draw(st.sampled_from(allowed)) if allowed and draw(st.integers(0, 3)) else \
            draw(st.sampled_from(range(len(ACTORS))))
        actor = ACTORS[who]
        mode = draw(st.sampled_from(["good", "good", "good", "one_bad", "wild"]))
        pools.actor_sites = actor.sites
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
