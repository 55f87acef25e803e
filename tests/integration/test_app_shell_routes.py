"""The staff app's server side: boot shell for deep links, the generated service worker,
the web manifest, the catalogs as JSON and the content-hashed assets."""

from __future__ import annotations

import json
import re

from server.app_shell.assets import assets
from server.app_shell.bundle import BUNDLE
from server.app_shell.domain_sets import bundle_rel


async def test_service_worker_script_headers_and_imports(client) -> None:
    r = await client.get("/sw.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["service-worker-allowed"] == "/"
    assert "attachment" not in r.headers.get("content-disposition", "")
    a = assets()
    assert f'import {{ start }} from "{a.url(BUNDLE)}"' in r.text
    # as phones download it: compressed (Brotli where accepted; encoding.py)
    br = await client.get("/sw.js", headers={"accept-encoding": "br, gzip"})
    assert br.headers["content-encoding"] == "br" and br.text == r.text
    assert f'import "{a.url("vendor/idb/idb.umd.js")}"' in r.text
    config = json.loads(r.text.split("start(", 1)[1].rsplit(");", 1)[0])
    assert config["build"] == a.build
    assert "script-src 'self'" in config["csp"]
    for url in [*config["precache"], *config["modules"]]:
        got = await client.get(url)
        assert got.status_code == 200, url
    # a guard reads the patrol records and reports repairs from anomalies (repair.report),
    # reads the desk's and checks passes at the gate; the technician's visit screens are the
    # repairs' visits part, a technician's alone; the desk signs visitors in, issues passes
    assert config["roleDomains"]["patrol"] == ["patrol", "repairs", "desk", "desk_gate"]
    assert config["roleDomains"]["technician"] == ["repairs", "repairs_visits"]
    assert config["roleDomains"]["front_desk"] == ["keys", "cards", "repairs", "desk",
                                                   "desk_front"]


async def test_a_phone_gets_the_worker_of_its_domains(client) -> None:
    """``/sw.js?d=…``: the worker that carries those domains' code only (names in any order,
    unknown ones dropped); ``d=`` the core alone."""
    a = assets()
    for query, domains in [("keys", ("keys",)), ("patrol,keys,unknown", ("keys", "patrol")),
                           ("repairs_visits,repairs", ("repairs", "repairs_visits")), ("", ())]:
        r = await client.get(f"/sw.js?d={query}")
        config = json.loads(r.text.split("start(", 1)[1].rsplit(");", 1)[0])
        assert config["domains"] == list(domains)
        url = f"/v/{a.app_hash}/{bundle_rel(domains)}"
        assert config["modules"] == [url]
        assert f'import {{ start }} from "{url}"' in r.text
        got = await client.get(url)
        # a set of no role's (joined by the server) or a role's (prebuilt: web/prebuilt)
        assert got.status_code == 200 and "start" in got.text.rsplit("export", 1)[-1]
    assert (await client.get(f"/v/{a.app_hash}/app/sw.patrol-keys.bundle.js")).status_code == 404
    # a set the server joins itself names its modules: the desk's repairs screens without the
    # technician's
    desk = (await client.get(f"/v/{a.app_hash}/{bundle_rel(('keys', 'cards', 'repairs'))}")).text
    assert '"app/repairs/desk_screens.js"' in desk and '"app/repairs/visit_screens.js"' not in desk
    assert (await client.get("/v/0000000000000000/app/sw.keys.bundle.js")).status_code == 404


async def test_every_staff_app_url_answers_the_boot_shell_before_the_worker(client) -> None:
    for path in ("/m/", "/m", "/m/keys", "/m/keys/loans/0190a8f0-0000-7000-8000-000000000000"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert "data-boot" in r.text
        assert "content-security-policy" in r.headers
        assert r.headers["vary"] == "HX-Request, Accept-Encoding"
        assert assets().url("app/page.js") in r.text
        assert '<link rel="manifest" href="/manifest.webmanifest">' in r.text
        assert "<script>" not in r.text and 'style="' not in r.text


async def test_precached_shell_has_the_slots_the_worker_fills(client) -> None:
    for lang, attr in (("zh_Hant", "zh-Hant"), ("en", "en")):
        r = await client.get(f"/app-shell/{lang}")
        assert r.status_code == 200
        assert f'<html lang="{attr}">' in r.text
        for slot in ("title", "nav", "status", "main"):
            assert f"<!--ct:{slot}-->" in r.text
        assert "data-boot" not in r.text
    assert (await client.get("/app-shell/fr")).status_code == 404


async def test_manifest_is_installable(client) -> None:
    r = await client.get("/manifest.webmanifest")
    assert r.headers["content-type"].startswith("application/manifest+json")
    m = r.json()
    assert m["name"] == "管家 Caretaker" and m["start_url"] == "/m/"
    assert m["display"] == "standalone" and m["theme_color"] == "#0f5f56"
    purposes = {(i["sizes"], i["purpose"]) for i in m["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= purposes
    for icon in m["icons"]:
        got = await client.get(icon["src"])
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        assert got.content.startswith(b"\x89PNG")


async def test_catalogs_as_json(client) -> None:
    zh = (await client.get("/i18n/zh_Hant.json")).json()
    en = (await client.get("/i18n/en.json")).json()
    assert zh["Lend a key"] == "借出鑰匙" and en["Lend a key"] == "Lend a key"
    assert (await client.get("/i18n/fr.json")).status_code == 404
    assert (await client.get("/i18n/en")).status_code == 404


async def test_hashed_assets_are_immutable_and_never_served_under_another_hash(client) -> None:
    url = assets().url("css/app.css")
    r = await client.get(url)
    assert r.status_code == 200
    assert "immutable" in r.headers["cache-control"]
    assert r.headers["content-type"].startswith("text/css")
    wrong = re.sub(r"/v/[0-9a-f]+/", "/v/0000000000000000/", url)
    assert (await client.get(wrong)).status_code == 404
    assert (await client.get("/v/" + assets().app_hash + "/app/../../server/app.py")
            ).status_code == 404
    module = await client.get(assets().url("app/db.js"))
    assert module.headers["content-type"].startswith("text/javascript")
