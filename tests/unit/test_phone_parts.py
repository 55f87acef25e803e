"""A domain's phone code in parts (server/app_shell/domain_sets.py): the repairs' index
(``repairs``: reports, the desk, follow-ups) and visits (``repairs_visits``: the technician's
jobs and visits). The Python declaration (``PHONE_PARTS``) and the phone modules' ``RULES``
say the same; each role's phone carries the parts whose mutations it runs; a phone that
carries the index alone links to no visit screen (tests/unit/phone_parts.mjs runs the staff
app's own router and screens under Node on fake-indexeddb)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from server.app_shell.domain_sets import (
    bundle_rel,
    domains_of,
    module_rel,
    phone_domains,
    phone_modules,
    phone_mutations,
    role_domains,
)
from sync.domains import default_registry
from sync.domains.repairs import MUTATIONS, PHONE_PARTS
from sync.kit.export import export

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "web" / "static"
REQ = "0190a8f0-0000-7000-8000-00000000000c"
VISIT = "0190a8f0-0000-7000-8000-00000000000d"
_FROM = re.compile(r'^(?:import|export)\b[^;]*?\bfrom "(\.{1,2}/[^"]+)";', re.M | re.S)


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kit") / "kit.json"
    path.write_text(json.dumps(export(default_registry())), encoding="utf-8")
    return path


def _node(kit: Path, mode: str, modules: list[str]) -> Any:
    done = subprocess.run(
        [shutil.which("node") or "node", str(ROOT / "tests" / "unit" / "phone_parts.mjs"),
         str(kit), mode, *modules], capture_output=True, text=True, timeout=120, cwd=ROOT,
        check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def _reach(rel: str) -> set[str]:
    """The app modules a module imports, directly or not (paths under web/static)."""
    seen: set[str] = set()
    todo = [rel]
    while todo:
        cur = todo.pop()
        if cur in seen:
            continue
        seen.add(cur)
        base = (STATIC / cur).parent
        for m in _FROM.finditer((STATIC / cur).read_text(encoding="utf-8")):
            todo.append((base / m.group(1)).resolve().relative_to(STATIC).as_posix())
    return seen


def test_the_parts_are_declared_once_and_cover_the_mutations() -> None:
    names = [m.name for m in MUTATIONS]
    parted = [n for part in PHONE_PARTS.values() for n in part]
    assert len(parted) == len(set(parted)) and set(parted) < set(names)
    assert phone_modules()["repairs"] == phone_modules()["repairs_visits"] == "repairs"
    assert module_rel("repairs") == "app/repairs/index.js"
    assert module_rel("repairs_visits") == "app/repairs/visits.js"
    assert set(phone_mutations("repairs")) | set(phone_mutations("repairs_visits")) | set(
        phone_mutations("repairs_office")) == set(names)
    assert phone_mutations("repairs_office") == ("repair.close",)  # the office's alone
    assert phone_mutations("repairs_visits") == PHONE_PARTS["repairs_visits"]
    assert "repair.report" in phone_mutations("repairs")


def test_each_phone_module_carries_the_rules_python_gives_it(kit: Path) -> None:
    rels = {phone: module_rel(phone).removeprefix("app/") for phone in phone_domains()}
    got = _node(kit, "rules", list(rels.values()))
    for phone, rel in rels.items():
        assert got[rel] == sorted(phone_mutations(phone)), phone


def test_each_role_carries_the_parts_whose_mutations_it_runs() -> None:
    roles = role_domains()
    # reports from an anomaly, starts no visit; checks passes at the gate (the desk's gate part)
    assert roles["patrol"] == ["patrol", "repairs", "desk", "desk_gate"]
    assert roles["technician"] == ["repairs", "repairs_visits"]  # reports on site too
    # reads the visits, starts none; signs visitors in and issues passes, checks none
    assert roles["front_desk"] == ["keys", "cards", "repairs", "desk", "desk_front"]
    assert roles["supervisor"] == list(phone_domains()) == roles["admin"]
    for role, domains in roles.items():
        # the visit screens link to the index's request page and report form
        assert "repairs_visits" not in domains or "repairs" in domains, role
        assert domains_of(bundle_rel(tuple(domains))) == tuple(domains), role


def test_the_gate_carries_neither_the_desks_forms_nor_its_signing_key_rules() -> None:
    """A guard's phone (the desk index and gate parts) does not reach the front part's
    modules: signing visitors in, issuing passes, their rules."""
    guard = _reach("app/desk/index.js") | _reach("app/desk/gate.js")
    front = _reach("app/desk/front.js")
    only_front = {"app/desk/front.js", "app/desk/front_rules.js", "app/desk/passes.js",
                  "app/desk/pass_views.js"}
    assert only_front <= front and not only_front & guard
    assert "app/desk/handover.js" in guard and "app/desk/gate_rules.js" not in front


def test_the_index_does_not_import_the_visits_part_nor_the_part_the_desks_screens() -> None:
    desk = _reach("app/repairs/index.js")
    visits = _reach("app/repairs/visits.js")
    only_visits = {"app/repairs/visits.js", "app/repairs/visit_screens.js",
                   "app/repairs/visit_views.js", "app/repairs/visit_rule.js",
                   "app/repairs/sampling.js", "app/repairs/jobs.js"}
    only_desk = {"app/repairs/index.js", "app/repairs/rules.js", "app/repairs/desk_screens.js",
                 "app/repairs/desk_views.js", "app/repairs/follow_screens.js",
                 "app/repairs/request_screen.js"}
    assert only_visits <= visits and not only_visits & desk
    assert only_desk <= desk and not only_desk & visits


def test_a_phone_links_only_to_the_screens_it_carries(kit: Path) -> None:
    visit_link = f'href="/m/repairs/visits/{VISIT}"'
    request = f"/m/repairs/requests/{REQ}"
    visit = f"/m/repairs/visits/{VISIT}"
    # a desk's (or a guard's) phone: the index part alone
    desk = _node(kit, "screens", ["repairs/index.js"])
    for role in ("front_desk", "patrol"):
        status, page = desk[role][request]
        assert status == 200 and f'data-visit-id="{VISIT}"' in page, role
        assert "/m/repairs/visits/" not in page and "start-visit" not in page, role
        assert desk[role][visit][0] == 404, role  # not carried: nothing links to it
    assert 'id="requests-assigned"' in desk["front_desk"]["/m/repairs"][1]
    assert desk["patrol"]["/m/repairs"][0] == 403
    # a technician's (and a supervisor's) phone: both parts
    both = _node(kit, "screens", ["repairs/index.js", "repairs/visits.js"])
    status, page = both["technician"]["/m/repairs"]
    assert status == 200 and 'id="my-jobs"' in page and 'href="/m/repairs/new"' in page
    status, page = both["technician"][request]
    assert status == 200 and visit_link in page and 'id="continue-visit"' in page
    assert 'id="desk-actions"' not in page
    assert both["technician"][visit][0] == 200
    assert 'id="requests-assigned"' in both["supervisor"]["/m/repairs"][1]
    status, page = both["supervisor"][request]
    assert status == 200 and visit_link in page and 'id="desk-actions"' in page
    # the desk on a phone that carries the visits too opens a visit, read-only
    status, page = both["front_desk"][visit]
    assert status == 200 and 'data-state="open"' in page and 'id="work-form"' not in page
    assert visit_link in both["front_desk"][request][1]
