"""The staff PWA in real Chromium: a revoked device, a change of user and a refused mutation;
records waiting on the phone are sent once, by their owner, or refused with a reason.
"""

from __future__ import annotations

from tests.e2e.conftest import Office, Phones, Server
from tests.e2e.helpers import READ_SESSION, _loan_count, _row


def test_4_revoked_device_pauses_then_signing_in_again_sends_everything_once(
        phones: Phones, server: Server, office: Office) -> None:
    phone = phones()
    phone.sign_in("desk")
    session = phone.page.evaluate(READ_SESSION)
    client_id, device_id = session["client_id"], session["device_id"]
    # what the sign-in itself sent (a desk phone registers its device key for passes)
    (signed_in,), = server.query("select last_mutation_id from sync_client where client_id = ?",
                                 client_id)
    phone.offline()
    loans = [phone.lend("HYG-K004", "黃師傅"), phone.lend("HYG-K005", "吳師傅")]
    assert phone.status()["pending"] == "2"

    # the office revokes the phone (a lost phone) while it holds pending loans
    page = office.page
    staff_id = server.query("select id from staff where username = 'desk'")[0][0]
    page.goto(f"{server.url}/office/devices?staff={staff_id}")
    page.click(f"form[action='/office/devices/{device_id}/revoke'] button[type=submit]")
    page.wait_for_load_state()
    assert server.query("select revoked_at from device where id = ?", device_id)[0][0]

    phone.online()
    phone.page.wait_for_function(
        "() => document.querySelector('#sync-status')?.dataset.state === 'paused-auth'")
    assert phone.status()["pending"] == "2"
    for path in ("/m/keys", f"/m/keys/loans/{loans[0]}", "/m/inbox"):
        phone.goto(path)
        alert = phone.page.locator("#sync-status .alert a[href='/m/signin?again=1']")
        assert alert.count() == 1, path
    assert all(_loan_count(server, loan) == 0 for loan in loans)

    # signing in again: the same client, the same mutation ids, each loan arrives once
    phone.page.click("#sync-status .alert a[href='/m/signin?again=1']")
    phone.page.wait_for_selector("#f-username")
    assert phone.page.input_value("#f-username") == "desk"
    phone.page.fill("#f-password", "caretaker-demo")
    phone.page.click("form[action='/m/signin'] button[type=submit]")
    phone.page.wait_for_function("() => location.pathname === '/m/'")
    phone.wait_pending(0)
    assert phone.page.evaluate(READ_SESSION)["client_id"] == client_id
    assert all(_loan_count(server, loan) == 1 for loan in loans)
    assert server.query("select last_mutation_id from sync_client where client_id = ?",
                        client_id)[0][0] == signed_in + 2
    assert server.query("select count(*) from sync_rejection where client_id = ?",
                        client_id)[0][0] == 0
    assert not phone.errors, phone.errors


def test_4b_another_person_never_sends_the_first_persons_records(
        phones: Phones, server: Server) -> None:
    phone = phones()
    phone.sign_in("desk")
    desk_client = phone.page.evaluate(READ_SESSION)["client_id"]
    phone.offline()
    loan_desk = phone.lend("HYG-K006", "周先生")
    phone.goto("/m/signout")
    assert "1" in phone.page.inner_text("main .alert")  # asks first: 1 record not synced
    phone.page.click("form[action='/m/signout'] button[type=submit]")
    phone.page.wait_for_selector("#f-username")

    phone.online()
    phone.sign_in("desk2")
    desk2_client = phone.page.evaluate(READ_SESSION)["client_id"]
    assert desk2_client != desk_client
    phone.wait_synced()
    assert _loan_count(server, loan_desk) == 0  # waits for its owner
    loan_desk2 = phone.lend("HYG-K009", "鄭小姐")
    phone.wait_pending(0)
    desk2_id = server.query("select id from staff where username = 'desk2'")[0][0]
    assert server.query("select lent_by from key_loan where id = ?", loan_desk2)[0][0] == desk2_id
    assert _loan_count(server, loan_desk) == 0

    phone.goto("/m/signout")
    phone.page.click("form[action='/m/signout'] button[type=submit]")
    phone.page.wait_for_selector("#f-username")
    assert "黃嘉欣" in phone.page.inner_text("main")  # whose records are waiting
    phone.sign_in("desk")
    assert phone.page.evaluate(READ_SESSION)["client_id"] == desk_client
    phone.wait_pending(0)
    desk_id = server.query("select id from staff where username = 'desk'")[0][0]
    assert server.query("select lent_by from key_loan where id = ?", loan_desk)[0][0] == desk_id
    assert not phone.errors, phone.errors


TAMPER = """(keyId) => new Promise((resolve, reject) => {
  const open = indexedDB.open("caretaker");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const tx = db.transaction("outbox", "readwrite");
    const store = tx.objectStore("outbox");
    let changed = 0;
    store.openCursor().onsuccess = (event) => {
      const cursor = event.target.result;
      if (!cursor) return;
      const m = cursor.value;
      if (m.name === "key.lend" && m.args.key_id === keyId) {
        m.args.owner_consent = "";
        cursor.update(m);
        changed += 1;
      }
      cursor.continue();
    };
    tx.oncomplete = () => { db.close(); resolve(changed); };
    tx.onerror = () => { db.close(); reject(tx.error); };
  };
})"""


def test_5_a_tampered_mutation_is_refused_with_its_reason_and_the_queue_moves_on(
        phones: Phones, server: Server) -> None:
    phone = phones()
    phone.sign_in("desk")
    phone.offline()
    tampered = phone.lend("HYG-K012", "業主親友", kind="resident", consent="業主電話同意 10:05")
    key_id = server.query("select id from key_tag where code = 'HYG-K012'")[0][0]
    assert phone.page.evaluate(TAMPER, key_id) == 1
    later = phone.lend("HYG-K014", "何先生")
    phone.online()
    phone.wait_pending(0)
    assert _loan_count(server, tampered) == 0
    assert _loan_count(server, later) == 1
    codes = server.query("select code from sync_rejection where args like ?", f"%{tampered}%")
    assert [c[0] for c in codes] == ["owner_consent_required"]
    phone.wait_synced()
    phone.goto("/m/inbox")
    item = phone.page.locator("li.inbox-item.rejection[data-code='owner_consent_required']")
    assert item.count() == 1
    text = item.inner_text()
    assert "HYG-K012" in text and "業主" in text  # what it was, and why, in plain words
    # the refused loan no longer shows as out on the board
    phone.goto("/m/keys?q=HYG-K012")
    assert "is-available" in (_row(phone, "HYG-K012").get_attribute("class") or "")
    assert not phone.errors, phone.errors
