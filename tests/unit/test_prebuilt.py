"""The field roles' worker bundles built by esbuild (web/prebuilt/, server/app_shell/prebuild.py):
each is current, is what phones receive, runs like the server's own bundle, and a stale one is
not served."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from server.app_shell import prebuild
from server.app_shell.assets import catalog_json, worker_bundle
from server.app_shell.domain_sets import phone_domains, role_domains
from server.app_shell.prebuild import (
    MANIFEST,
    PREBUILT,
    bundle_name,
    digest,
    field_sets,
    served_bundle,
)
from server.app_shell.routes import worker_script

ROOT = Path(__file__).resolve().parents[2]
RERUN = "run `.venv/bin/python -m server.app_shell.prebuild` (after `npm ci`)"


def test_every_field_roles_set_has_a_current_prebuilt_bundle() -> None:
    sets = field_sets()
    assert () in sets and tuple(phone_domains()) in sets
    assert {tuple(d) for d in role_domains().values()} <= set(sets)
    assert len(set(sets)) == len(sets)
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {}
    assert set(manifest) == {bundle_name(d) for d in sets}, f"web/prebuilt is out of date: {RERUN}"
    files = {p.name for p in PREBUILT.glob("sw.*bundle.js")}
    assert files == set(manifest), f"web/prebuilt holds other bundles: {RERUN}"
    for domains in sets:
        name = bundle_name(domains)
        assert manifest[name] == digest(domains), \
            f"web/prebuilt/{name} is stale (web/static/app changed): {RERUN}"
        # ... and it is what phones receive for that set
        assert served_bundle(domains) == (PREBUILT / name).read_bytes(), name


def test_package_json_pins_the_esbuild_the_digest_names() -> None:
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert package["devDependencies"]["esbuild"] == prebuild.ESBUILD_VERSION
    assert lock["packages"]["node_modules/esbuild"]["version"] == prebuild.ESBUILD_VERSION
    assert package["devDependencies"]["terser"] == prebuild.TERSER_VERSION
    assert lock["packages"]["node_modules/terser"]["version"] == prebuild.TERSER_VERSION


def test_the_digest_follows_what_goes_into_a_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    desk = tuple(role_domains()["front_desk"])
    assert digest(desk) != digest(()) and digest(desk) == digest(desk)
    before = digest.__wrapped__(desk)
    monkeypatch.setattr(prebuild, "esbuild_version", lambda: "0.0.1")
    assert digest.__wrapped__(desk) != before
    monkeypatch.undo()
    sources = prebuild.sources(desk)
    monkeypatch.setattr(prebuild, "sources",
                        lambda d: {**sources, "app/sw.js": sources["app/sw.js"] + ";"})
    assert digest.__wrapped__(desk) != before
    # the served URLs the modules resolve their lazy assets against name the modules' hash
    from server.app_shell.assets import assets

    assert f'(self.location.origin + "/v/{assets().app_hash}/app/patrol/index.js")' in \
        sources["app/patrol/index.js"]
    assert "import.meta.url" not in "".join(sources.values())


def test_a_stale_prebuilt_bundle_falls_back_to_the_servers_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    desk = tuple(role_domains()["front_desk"])
    name = bundle_name(desk)
    (tmp_path / name).write_bytes(b"export function start() {}\n")
    monkeypatch.setattr(prebuild, "PREBUILT", tmp_path)
    monkeypatch.setattr(prebuild, "MANIFEST", tmp_path / "manifest.json")
    (tmp_path / "manifest.json").write_text(json.dumps({name: digest(desk)}))
    assert prebuild.prebuilt(desk) == b"export function start() {}\n"
    (tmp_path / "manifest.json").write_text(json.dumps({name: "0" * 64}))
    assert prebuild.prebuilt(desk) is None
    assert "is stale" in caplog.text
    served_bundle.cache_clear()
    try:
        served = served_bundle(desk).decode()
    finally:
        served_bundle.cache_clear()
    assert 'return { start };' in worker_bundle(desk).decode()
    assert '"app/sw.js"' in served  # the server's own join (its modules by path)
    (tmp_path / name).unlink()  # a set with no prebuilt bundle: the server's own too
    (tmp_path / "manifest.json").write_text(json.dumps({name: digest(desk)}))
    assert prebuild.prebuilt(desk) is None


# Imports a bundle in Node as the generated /sw.js does (after idb's UMD build), on a fake
# IndexedDB and a stand-in worker scope, starts it with the real worker config, then lets it
# answer the sign-in page as a navigation: the listeners and the page it renders.
HARNESS = """
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";
const input = JSON.parse(readFileSync(process.argv[3], "utf8"));
await import(pathToFileURL(input.fakeIndexedDb).href);
const origin = "https://caretaker.test";
const listeners = {};
globalThis.self = {
  location: { origin, href: origin + "/sw.js" },
  addEventListener: (type, fn) => { listeners[type] = fn; },
  clients: { matchAll: async () => [], claim: async () => undefined },
  registration: {},
  skipWaiting: async () => undefined,
};
const cached = input.cached;
globalThis.caches = {
  match: async (url) => (typeof url === "string" && url in cached
    ? new Response(cached[url]) : undefined),
};
globalThis.fetch = async (url) => { throw new Error("offline: " + url); };
await import(pathToFileURL(input.idb).href);
const { start } = await import(pathToFileURL(process.argv[2]).href);
start(input.config);
let answer;
const waits = [];
listeners.fetch({
  request: new Request(origin + "/m/signin", { headers: { Accept: "text/html" } }),
  respondWith: (p) => { answer = p; },
  waitUntil: (p) => waits.push(p),
});
const res = await answer;
const body = await res.text();
console.log(JSON.stringify({ listeners: Object.keys(listeners).sort(), status: res.status,
  body }));
process.exit(0);
"""


def _run(bundle: bytes, domains: tuple[str, ...], tmp: Path) -> dict[str, object]:
    """What the bundle does under Node (see :data:`HARNESS`)."""
    from server.app_shell.assets import assets

    a = assets()
    script = worker_script(a, "en", domains)
    config = json.loads(re.search(r"^start\((.*)\);$", script, re.M).group(1))  # type: ignore[union-attr]
    shell = "<title><!--ct:title--></title><nav><!--ct:nav--></nav><!--ct:status-->" \
            "<main><!--ct:main--></main>"
    cached = {config["shell"][lang]: shell for lang in config["shell"]}
    cached |= {config["i18n"][lang]: catalog_json(lang).decode() for lang in config["i18n"]}
    (tmp / "input.json").write_text(json.dumps({
        "config": config, "cached": cached,
        "idb": str(ROOT / "web" / "static" / "vendor" / "idb" / "idb.umd.js"),
        "fakeIndexedDb": str(ROOT / "node_modules" / "fake-indexeddb" / "auto" / "index.mjs"),
    }))
    (tmp / "bundle.mjs").write_bytes(bundle)
    (tmp / "run.mjs").write_text(HARNESS)
    done = subprocess.run(["node", str(tmp / "run.mjs"), str(tmp / "bundle.mjs"),
                           str(tmp / "input.json")], capture_output=True, text=True,
                          check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-800:]
    return dict(json.loads(done.stdout))


@pytest.mark.parametrize("role", ["front_desk", "patrol"])
def test_a_prebuilt_bundle_runs_like_the_servers_own(role: str, tmp_path: Path) -> None:
    """Under Node, the esbuild bundle of a field role's set starts (its domains' rules and
    routes registered, module by module in order) and renders the sign-in page exactly as
    the server's own join of the same modules does."""
    domains = tuple(role_domains()[role])
    built = (PREBUILT / bundle_name(domains)).read_bytes()
    esbuilt = _run(built, domains, tmp_path)
    joined = _run(worker_bundle(domains), domains, tmp_path)
    assert esbuilt["listeners"] == ["activate", "fetch", "install", "message", "online", "sync"]
    assert esbuilt["status"] == 200
    assert 'name="password"' in str(esbuilt["body"]), str(esbuilt["body"])[:400]
    assert esbuilt == joined
