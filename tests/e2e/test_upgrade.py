"""Upgrading from the previous release with records waiting on a phone.

The previous release (git commit PREVIOUS, schema version 1: one space per site, IndexedDB
version 1) seeds a database and serves a phone, which lends a key offline. Then the server
is upgraded in place — this code, its migrations run on start — and the phone comes back:
its service worker updates, IndexedDB upgrades under the waiting record, and the record
(made under schema version 1) arrives once; the phone's replica is rebuilt in streams.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, Phone, Server, _env, run_server
from tests.e2e.helpers import READ_SESSION

PREVIOUS = "161c35f"  # the last release before the domain kit (schema version 1)

READ_DB = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("caretaker");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const version = db.version;
    const tx = db.transaction(["outbox", "replica"]);
    const outbox = tx.objectStore("outbox").getAll();
    const replica = tx.objectStore("replica").getAll();
    tx.oncomplete = () => {
      db.close();
      resolve({version, outbox: outbox.result,
               spaces: [...new Set(replica.result.map((r) => r.space))]});
    };
    tx.onerror = () => { db.close(); reject(tx.error); };
  };
})"""


def _previous_release(work: Path) -> Path:
    """The previous release's code (server, sync, web, migrations and its e2e seed)."""
    code = work / "previous"
    code.mkdir()
    try:
        archive = subprocess.run(
            ["git", "archive", PREVIOUS, "server", "sync", "web", "migrations", "tests"],
            cwd=ROOT, check=True, capture_output=True).stdout
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.fail(f"the previous release {PREVIOUS} is not in this clone: {exc}")
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    return code


def test_9_a_phone_of_the_previous_release_upgrades_with_its_outbox(
        browser: Any, tmp_path: Path) -> None:
    old = _previous_release(tmp_path)
    db_path = tmp_path / "caretaker.sqlite3"
    url = f"sqlite:///{db_path}"
    subprocess.run([sys.executable, "-m", "tests.e2e.seed", url], check=True, cwd=old,
                   env=_env(url, old))

    with run_server(db_path, old, tmp_path) as old_port:
        phone = Phone(browser, Server(f"http://127.0.0.1:{old_port}", old_port, db_path))
        try:
            phone.sign_in("desk", domains=False)  # that release's worker carried every domain
            before = phone.page.evaluate(READ_DB)
            assert before["version"] == 1
            assert all(":" not in s for s in before["spaces"])  # one space per site
            phone.offline()
            loan = phone.lend("HYG-K008", "霍先生")
            assert phone.status()["pending"] == "1"
        except Exception:
            phone.close()
            raise

    try:
        # between the releases the office revokes the phone (so the old worker cannot send
        # the record before the new one takes over: the upgrade happens under it)
        device_id = phone.page.evaluate(READ_SESSION)["device_id"]
        with sqlite3.connect(db_path) as con:
            con.execute("UPDATE device SET revoked_at = ? WHERE id = ?",
                        (datetime.now(UTC).isoformat(), device_id))
        new = tmp_path / "current"
        for part in ("server", "sync", "web", "migrations"):
            shutil.copytree(ROOT / part, new / part,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        with run_server(db_path, new, tmp_path) as port:  # migrates on start
            phone.network.retarget(port)
            phone.online()
            phone.page.wait_for_function(
                "() => document.querySelector('#sync-status')?.dataset.state "
                "=== 'paused-auth'")
            with phone.page.expect_navigation(timeout=30_000):  # reloads itself once updated
                phone.page.evaluate(
                    "() => navigator.serviceWorker.getRegistration().then(r => r.update())")
            # then the worker of a desk phone's domains replaces the one with every domain
            phone.wait_domains()
            phone.page.wait_for_function("() => location.pathname === '/m/'")
            phone.page.wait_for_selector("#sync-status")
            upgraded = phone.page.evaluate(READ_DB)
            assert upgraded["version"] == 2
            (entry,) = upgraded["outbox"]
            assert entry["name"] == "key.lend" and entry["schema"] == 1
            assert entry["args"]["loan_id"] == loan
            assert phone.status()["pending"] == "1"

            phone.page.click("#sync-status .alert a[href='/m/signin?again=1']")
            phone.page.fill("#f-password", "caretaker-demo")
            phone.page.click("form[action='/m/signin'] button[type=submit]")
            phone.page.wait_for_function("() => location.pathname === '/m/'")
            phone.wait_pending(0)
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as con:
                rows = con.execute("SELECT borrower_name, space FROM key_loan WHERE id = ?",
                                   (loan,)).fetchall()
                rejected = con.execute("SELECT count(*) FROM sync_rejection").fetchone()[0]
            assert len(rows) == 1 and rows[0][0] == "霍先生" and rows[0][1].endswith(":keys")
            assert rejected == 0
            after = phone.page.evaluate(READ_DB)
            assert after["outbox"] == []
            assert after["spaces"] and all(":" in s for s in after["spaces"] if s != "org")
            # and the loan shows on the phone, from the new replica
            phone.goto(f"/m/keys/loans/{loan}")
            assert "霍先生" in phone.page.inner_text("main")
        assert not phone.errors, phone.errors
    finally:
        phone.close()
