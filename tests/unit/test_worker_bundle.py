"""The worker's modules joined in one file (server/app_shell/bundle.py): it parses, keeps
every module of the worker, runs like the modules it joins, and refuses what it cannot join."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from server.app_shell.assets import assets, worker_bundle
from server.app_shell.bundle import BUNDLE, BundleError, bundle
from server.app_shell.domain_sets import (
    bundle_rel,
    domains_of,
    module_rel,
    normalise,
    phone_domains,
    role_domains,
)

ROOT = Path(__file__).resolve().parents[2]


def _node(code: str, tmp: Path) -> str:
    script = tmp / "run.mjs"
    script.write_text(code)
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, check=False,
                          cwd=tmp)
    assert done.returncode == 0, done.stderr[-800:]
    return done.stdout


def test_the_worker_bundle_parses_and_holds_every_worker_module(tmp_path: Path) -> None:
    text = worker_bundle(phone_domains()).decode()
    out = tmp_path / "bundle.mjs"
    out.write_text(text)
    done = subprocess.run(["node", "--check", str(out)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr[-800:]
    joined = set(re.findall(r'^__m\["(app/\S+\.js)"\] = ', text, re.M))
    assert {"app/sw.js", "app/db.js", "app/keys/screens.js", "app/patrol/screens.js",
            "app/kit/declarations.js"} <= joined
    assert "app/page.js" not in joined and "app/patrol/scan.js" not in joined  # page-side
    assert text.rstrip().endswith('export const { start } = __m["app/sw.js"];')
    # the worker imports the bundle, under the modules' shared hash
    a = assets()
    assert a.bundle_url(phone_domains()) == f"/v/{a.app_hash}/{BUNDLE}"


def test_a_domain_set_carries_only_its_domains_code(tmp_path: Path) -> None:
    """A desk phone's worker has no patrol screens, a guard's no key board, neither the
    technician's visit screens (the repairs' visits part); the core (sign-in, status, inbox)
    is in every one."""
    assert {"keys", "patrol", "repairs", "repairs_visits"} <= set(phone_domains())
    for domains in [(), ("keys",), ("patrol",), ("patrol", "repairs"),
                    ("repairs", "repairs_visits")]:
        rel = bundle_rel(domains)
        assert domains_of(rel) == domains
        text = worker_bundle(domains).decode()
        out = tmp_path / "b.mjs"
        out.write_text(text)
        done = subprocess.run(["node", "--check", str(out)], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stderr[-800:]
        joined = set(re.findall(r'^__m\["(app/\S+\.js)"\] = ', text, re.M))
        assert {"app/sw.js", "app/db.js", "app/screens/auth.js"} <= joined
        for d in phone_domains():
            assert (module_rel(d) in joined) == (d in domains), (domains, d)
        visits = {"app/repairs/visit_screens.js", "app/repairs/visit_rule.js",
                  "app/repairs/jobs.js"}
        assert (visits <= joined) == ("repairs_visits" in domains), domains
        assert not visits & joined or "repairs_visits" in domains, domains
        assert ("app/patrol/screens.js" in joined) == ("patrol" in domains), domains
        listed = re.search(r"const DOMAINS = \[([^\]]*)\];", text)
        assert listed is not None
        assert [n.strip() for n in listed.group(1).split(",") if n.strip()] == list(domains)
    # one path per set: unknown, repeated or reordered names are not bundles
    assert domains_of("app/sw.nothing.bundle.js") is None
    assert domains_of("app/sw.patrol-keys.bundle.js") is None
    assert domains_of("app/sw.keys-keys.bundle.js") is None
    assert domains_of("app/sw.repairs_visits-repairs.bundle.js") is None
    assert normalise("patrol,keys,nothing") == ("keys", "patrol")
    assert normalise("repairs_visits,repairs") == ("repairs", "repairs_visits")
    assert normalise(None) == phone_domains()


def test_each_role_gets_the_domains_of_the_streams_it_reads() -> None:
    roles = role_domains()
    assert "keys" in roles["front_desk"] and "patrol" not in roles["front_desk"]
    assert "keys" not in roles["patrol"] and "cards" not in roles["patrol"]
    assert roles["supervisor"] == list(phone_domains()) == roles["admin"]


def test_a_role_also_gets_the_domains_whose_mutations_it_may_run() -> None:
    """A guard reads no repair records (the visits stream) but reports a repair from a
    patrol anomaly (repair.report): the guard's worker carries the repairs' index part (not
    the visits part: it starts no visit); a technician receives only their jobs' part of the
    stream and carries both (they report on site too); the desk reads the visits whole and
    starts none (tests/unit/test_phone_parts.py)."""
    from sync.domains.repairs import MUTATIONS
    from sync.streams import streams_of

    roles = role_domains()
    assert "visits" not in streams_of("patrol") and "visits" not in streams_of("technician")
    report = next(m for m in MUTATIONS if m.name == "repair.report")
    assert "patrol" in report.roles
    # the gate reads the desk stream and checks passes: the desk's index and gate parts
    assert roles["patrol"] == ["patrol", "repairs", "desk", "desk_gate"]
    assert roles["technician"] == ["repairs", "repairs_visits"]
    assert "repairs" in roles["front_desk"] and "repairs_visits" not in roles["front_desk"]


def test_joined_modules_run_as_the_modules_did(tmp_path: Path) -> None:
    modules = {
        "app/main.js": 'import { twice as double, NAME } from "./lib/b.js";\n'
                       'import * as c from "./c.js";\n'
                       'export { c as helpers };\n'
                       'export function start() { return [double(21), NAME, c.where(),'
                       ' c.Thing.name]; }\n',
        "app/lib/b.js": 'import { where } from "../c.js";\n'
                        'export const NAME = "b at " + where();\n'
                        'export async function later() { return 1; }\n'
                        "export function twice(n) { return n * 2; }\n",
        "app/c.js": "const own = 1; // a private name; b.js may have its own\n"
                    "export class Thing {}\n"
                    "export function where() { return new URL(import.meta.url).pathname; }\n",
    }
    text = bundle(modules.__getitem__, lambda rel: f"/v/abc/{rel}", entry="app/main.js")
    (tmp_path / "joined.mjs").write_text(text)
    out = _node('globalThis.self = {location: {origin: "https://x.test"}};\n'
                'const { start } = await import("./joined.mjs");\n'
                "console.log(JSON.stringify(start()));\n", tmp_path)
    assert json.loads(out) == [42, "b at /v/abc/app/c.js", "/v/abc/app/c.js", "Thing"]


def test_exports_travel_under_short_names_but_whole_imports_keep_theirs(tmp_path: Path) -> None:
    """Between modules an export is handed over under a short key ($a…): named imports and
    re-exports follow it; a module imported whole (its exports read by name) and the entry
    keep their names."""
    modules = {
        "app/main.js": 'import { lengthyHelperName, other as renamed } from "./lib.js";\n'
                       'import { again } from "./re.js";\n'
                       'import * as ns from "./ns.js";\n'
                       "export function start() { return [lengthyHelperName(), renamed,"
                       " again(), ns.visibleName(), Object.keys(ns).sort()]; }\n",
        "app/lib.js": "export function lengthyHelperName() { return 'lib'; }\n"
                      "export const other = 7;\n",
        "app/re.js": 'export { lengthyHelperName as again } from "./lib.js";\n',
        "app/ns.js": 'import { other } from "./lib.js";\n'
                     "export function visibleName() { return other + 1; }\n"
                     "export const SECOND = 2;\n",
    }
    text = bundle(modules.__getitem__, lambda rel: f"/v/abc/{rel}", entry="app/main.js")
    assert "lengthyHelperName:" not in text and "lengthyHelperName }" not in text
    assert "return { visibleName, SECOND };" in text  # imported whole: named as written
    (tmp_path / "joined.mjs").write_text(text)
    out = _node('globalThis.self = {location: {origin: "https://x.test"}};\n'
                'const { start } = await import("./joined.mjs");\n'
                "console.log(JSON.stringify(start()));\n", tmp_path)
    assert json.loads(out) == ["lib", 7, "lib", 8, ["SECOND", "visibleName"]]


@pytest.mark.parametrize(("modules", "message"), [
    ({"app/a.js": "export default function f() {}\n"}, "export form"),
    ({"app/a.js": 'import f from "./b.js";\n', "app/b.js": ""}, "import form"),
    ({"app/a.js": 'import { x } from "./b.js";\nexport function start() {}\n',
      "app/b.js": 'import { start } from "./a.js";\nexport const x = 1;\n'}, "import cycle"),
    ({"app/a.js": 'import { x } from "idb";\n'}, "only relative imports"),
])
def test_what_it_cannot_join_is_refused(modules: dict[str, str], message: str) -> None:
    with pytest.raises(BundleError, match=message):
        bundle(modules.__getitem__, lambda rel: "/" + rel, entry="app/a.js")


def test_a_workers_kit_declares_only_what_its_domains_apply() -> None:
    """/sw.js carries the declarations its domains apply: a desk's no patrol records and no
    technician's visit mutations; every worker the estate's records and conflicts."""
    from server.app_shell.domain_sets import phone_mutations
    from server.app_shell.routes import kit_data

    every = kit_data()
    for role, domains in role_domains().items():
        kit = kit_data(tuple(domains))
        assert {"site", "building", "unit", "resident", "conflict", "review"} <= set(
            kit["records"]), role
        assert set(kit["mutations"]) == {m for d in domains for m in phone_mutations(d)}, role
        assert kit["streams"] == every["streams"] and kit["messages"] == every["messages"]
    desk = kit_data(tuple(role_domains()["front_desk"]))
    assert "key_loan" in desk["records"] and "card" in desk["records"]
    assert "scan" not in desk["records"] and "round" not in desk["records"]
    assert "repair.report" in desk["mutations"]
    assert "repair.close_visit" not in desk["mutations"]
    core = kit_data(())
    assert core["mutations"] == {} and "key_loan" not in core["records"]
    assert kit_data(tuple(phone_domains())) == every
