"""Helpers shared by the staff-app browser tests (not fixtures: those live in conftest.py)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Phone, Server

READ_SESSION = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("caretaker");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const get = db.transaction("meta").objectStore("meta").get("session");
    get.onsuccess = () => { db.close(); resolve(get.result || null); };
    get.onerror = () => { db.close(); reject(get.error); };
  };
})"""


def _row(phone: Phone, code: str) -> Any:
    return phone.page.locator(f"li.key-row[data-code='{code}']")


def _loan_count(server: Server, loan_id: str) -> int:
    return int(server.query("select count(*) from key_loan where id = ?", loan_id)[0][0])
