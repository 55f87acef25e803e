"""The generated service worker changes with every deploy, and the phone's HLC speaks the
same encoding as sync/hlc.py."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

from server.app_shell.assets import assets
from server.app_shell.routes import worker_script
from sync import hlc

ROOT = Path(__file__).resolve().parents[2]


def test_a_changed_file_gives_a_new_worker_byte_for_byte() -> None:
    a = assets()
    before = worker_script(a, "zh_Hant")
    assert before == worker_script(a, "zh_Hant")  # stable for the same deploy
    hashes = dict(a.hashes)
    hashes["vendor/htmx/htmx.min.js"] = "f" * 16
    changed = dataclasses.replace(a, hashes=hashes, build="0" * 16)
    assert worker_script(changed, "zh_Hant") != before


def test_app_modules_share_one_hash_so_relative_imports_resolve() -> None:
    a = assets()
    modules = [p for p in a.hashes if p.startswith("app/") and p.endswith(".js")]
    assert "app/keys/views.js" in modules and "app/sw.js" in modules
    assert {a.hashes[p] for p in modules} == {a.app_hash}
    assert len({a.hashes[p] for p in a.hashes}) > 1  # the others are hashed one by one


# Node.js runs the phone's modules (the README's setup installs what needs it): no skip
assert shutil.which("node"), "Node.js is not installed"

NODE_CHECK = """
import * as h from "./web/static/app/hlc.js";
const out = {};
out.node = h.nodeId("0190a8f0-1c2d-7e3f-8a4b-5c6d7e8f9a0b");
const last = {wall: 1732754000123, counter: 0xffff, node: out.node};
out.send_same = h.encode(h.send(last, 1732754000000));
out.send_later = h.encode(h.send(last, 1732754000999));
out.receive = h.encode(h.receive({wall: 5, counter: 3, node: out.node},
                                 h.parse("0000000000009-0002-aaaaaaaaaaaa"), 7));
out.parsed = h.parse("1732754000123-00a1-5f0c2b7d9e11");
console.log(JSON.stringify(out));
"""


def test_the_phone_hlc_matches_the_server_hlc() -> None:
    out = json.loads(subprocess.run(
        ["node", "--input-type=module", "-e", NODE_CHECK], cwd=ROOT, check=True,
        capture_output=True, text=True).stdout)
    node = hlc.node_id("0190a8f0-1c2d-7e3f-8a4b-5c6d7e8f9a0b")
    assert out["node"] == node
    last = hlc.HLC(1732754000123, 0xFFFF, node)
    assert out["send_same"] == hlc.send(last, 1732754000000).encode()
    assert out["send_later"] == hlc.send(last, 1732754000999).encode()
    assert out["receive"] == hlc.receive(
        hlc.HLC(5, 3, node), hlc.parse("0000000000009-0002-aaaaaaaaaaaa"), 7).encode()
    assert tuple(out["parsed"].values()) == tuple(hlc.parse(
        "1732754000123-00a1-5f0c2b7d9e11"))


def test_the_served_modules_lose_only_comment_lines_and_still_parse(tmp_path: Path) -> None:
    """The phone downloads its modules without their comment lines (app_shell/slim.py):
    every module must still parse, keep every code line, and be smaller."""
    import difflib
    import gzip

    from server.app_shell.slim import without_comments

    before = after = 0
    for path in sorted((ROOT / "web" / "static" / "app").rglob("*.js")):
        source = path.read_text()
        slim = without_comments(source)
        before += len(gzip.compress(source.encode()))
        after += len(gzip.compress(slim.encode()))
        gone = [line for line in difflib.ndiff([x.strip() for x in source.splitlines()],
                                               [x.strip() for x in slim.splitlines()])
                if line.startswith("- ")]
        for line in gone:
            text = line[2:].strip()
            assert not text or text.startswith(("//", "/*", "*")), (path.name, line)
        out = tmp_path / (path.stem + ".mjs")
        out.write_text(slim)
        done = subprocess.run(["node", "--check", str(out)], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, (path.name, done.stderr[-500:])
    assert after < before * 0.8, (before, after)


def test_a_template_literal_keeps_its_comment_like_lines() -> None:
    from server.app_shell.slim import without_comments

    source = "const a = `\n// not a comment\n/* nor this */\n`; // gone\n// gone too\nx();\n"
    kept = "const a = `\n// not a comment\n/* nor this */\n`; // gone\nx();\n"
    assert without_comments(source) == kept
    # indentation goes, except inside a template literal other than html`…` (HTML does not
    # mind it; other text keeps it)
    source = "  if (a) {\n    b(`\n  <p>\n    x</p>`);\n  }\n"
    assert without_comments(source) == "if (a) {\nb(`\n  <p>\n    x</p>`);\n}\n"
    source = "  c(html`<ul>\n    <li>${a}</li>\n  </ul>`);\n  d();\n"
    assert without_comments(source) == "c(html`<ul>\n<li>${a}</li>\n</ul>`);\nd();\n"


def test_every_served_module_and_bundle_is_minified_and_still_parses(tmp_path: Path) -> None:
    """What phones receive is minified (app_shell/slim.py ``minified``): no module and no
    domain set's bundle may fall back to the unminified text, each must parse, keep the text
    of its html`…` templates (the screens' words) and be smaller compressed."""
    import brotli
    import minify

    from server.app_shell.assets import served_module, slim_module, worker_bundle
    from server.app_shell.domain_sets import phone_domains, role_domains
    from server.app_shell.prebuild import served_bundle
    from server.app_shell.slim import minified, minify_js

    checks: list[tuple[str, str, str]] = []
    for path in sorted((ROOT / "web" / "static" / "app").rglob("*.js")):
        rel = path.relative_to(ROOT / "web" / "static").as_posix()
        checks.append((rel, slim_module(rel).decode(), served_module(rel).decode()))
    for domains in {(), phone_domains(), *(tuple(d) for d in role_domains().values())}:
        name = f"bundle {','.join(domains) or 'core'}"
        joined = worker_bundle(domains).decode()
        checks.append((name, joined, served_bundle(domains).decode()))
        # the field roles' sets are served prebuilt by esbuild (tests/unit/test_prebuilt.py):
        # the server's own minified join, served when those are stale, must hold up too
        checks.append((f"{name} (joined here)", joined, minified(joined, name)))
    before = after = 0
    for name, slim, served in checks:
        try:
            minify_js(slim)
        except minify.MinifyError as exc:  # pragma: no cover - the failure's message
            raise AssertionError(f"{name} cannot be minified: {exc}") from exc
        assert len(served) < len(slim), name
        out = tmp_path / "m.mjs"
        out.write_text(served)
        done = subprocess.run(["node", "--check", str(out)], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, (name, done.stderr[-500:])
        before += len(brotli.compress(slim.encode(), quality=11))
        after += len(brotli.compress(served.encode(), quality=11))
    # the visit screen's words survive as written
    visit = next(s for n, _, s in checks if n == "app/repairs/visit_views.js")
    assert 'id="close-form"' in visit
    assert after < before * 0.95, (before, after)
