"""A goods-out pass's QR code, both sides: what the server (sync/domains/desk/passcode.py)
signs the phone (web/static/app/desk/passcode.js, run under Node by
tests/unit/desk_passcode.mjs) verifies, and the other way round; an edited payload, a wrong key
and a truncated text are refused on both sides. The phone's flow too: its key pair made once
(the private key not extractable), registered for the person's site through the outbox, and
the gate's verdicts (valid, forged, unknown_key, expired, used)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sync.domains import default_registry
from sync.domains.desk import passcode
from sync.domains.desk.records import VERDICTS
from sync.kit.export import export

ROOT = Path(__file__).resolve().parents[2]
SITE = "0190a8f0-0000-7000-8000-000000000051"
OTHER_SITE = "0190a8f0-0000-7000-8000-000000000052"
NOW_MS = 1_796_623_200_000  # 2026-12-07T06:40:00Z
CONTENT: dict[str, Any] = {
    "id": "0190a8f0-0000-7000-8000-0000000000b1", "n": "P-20261207-001", "s": SITE,
    "u": "0190a8f0-0000-7000-8000-0000000000b2", "it": ["梳化一張", "書枱 (拆件)"],
    "c": 3, "p": "AB 1234", "b": "owner_present",
    "vu": "2026-12-07T15:59:00+00:00", "ia": "2026-12-07T06:30:00+00:00",
    "k": "0190a8f0-0000-7000-8000-0000000000b3"}


def _edited(code: str) -> str:
    """The same signature over a payload whose items were changed."""
    head, _payload, sig = code.split(".")
    return f"{head}.{passcode.payload_text({**CONTENT, 'it': [*CONTENT['it'], '雪櫃']})}.{sig}"


@pytest.fixture(scope="module")
def phone(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The phone's results: it verified what Python signed, signed for Python, ran its flow."""
    tmp = tmp_path_factory.mktemp("passcode")
    private, public = passcode.new_key()
    _other, other_public = passcode.new_key()
    code = passcode.sign(CONTENT, private)
    cases = {
        "verify": [
            {"code": code, "public_key": public},
            {"code": _edited(code), "public_key": public},
            {"code": code, "public_key": other_public},
            {"code": code[:-2], "public_key": public},
            {"code": code.rsplit(".", 1)[0], "public_key": public},
            {"code": code, "public_key": public[:-4]},
        ],
        "sign": [CONTENT, {**CONTENT, "it": ["€ ✓ \" \\ / <>"], "p": ""}],
        "site_id": SITE, "other_site_id": OTHER_SITE, "now": NOW_MS,
    }
    kit = tmp / "kit.json"
    kit.write_text(json.dumps(export(default_registry())), encoding="utf-8")
    (tmp / "cases.json").write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [shutil.which("node") or "node", str(ROOT / "tests" / "unit" / "desk_passcode.mjs"),
         str(kit), str(tmp / "cases.json")], capture_output=True, text=True, timeout=120,
        cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return {**json.loads(done.stdout), "python_code": code}


def test_what_python_signs_the_phone_verifies(phone: dict[str, Any]) -> None:
    genuine, edited, wrong_key, truncated, no_signature, bad_key = phone["verified"]
    assert genuine == CONTENT
    assert edited is None and wrong_key is None and truncated is None
    assert no_signature is None and bad_key is None


def test_what_the_phone_signs_python_verifies(phone: dict[str, Any]) -> None:
    public = phone["public_key"]
    first, second = phone["signed"]
    assert passcode.verify(first, public) == CONTENT
    assert passcode.verify(second, public) == {**CONTENT, "it": ["€ ✓ \" \\ / <>"], "p": ""}
    # the same payload text on both sides (same key order, compact UTF-8 JSON)
    assert first.split(".")[1] == passcode.payload_text(CONTENT)
    assert first.split(".")[1] == phone["python_code"].split(".")[1]
    assert passcode.verify(_edited(first), public) is None
    _other, other_public = passcode.new_key()
    assert passcode.verify(first, other_public) is None
    assert passcode.verify(first[:-3], public) is None
    assert passcode.verify(first.replace("CTP1.", "CTP2.", 1), public) is None
    assert "keys" in phone["bad_content"]


def test_the_phone_makes_one_key_and_registers_it_for_its_site(phone: dict[str, Any]) -> None:
    assert phone["guard_registers"] is False  # a guard's role issues no pass: no key
    assert phone["before"] is None
    assert phone["hook"] is True  # after the sign-in's first sync: registered
    assert phone["again"] is False  # once
    assert phone["extractable"] is False
    assert phone["other_site_key"] is None
    (entry,) = phone["outbox"]
    assert entry["name"] == "desk.register_key"
    args = entry["args"]
    assert args["site_id"] == SITE and args["holder"] == "陳大文 (前台)"
    assert len(args["public_key"]) == 87
    assert phone["key_record"]["public_key"] == args["public_key"]
    # the server takes the key as the phone sent it, and verifies the phone's pass with it
    content = {**CONTENT, "k": args["key_id"]}
    assert passcode.verify(phone["device_code"], args["public_key"]) == content
    assert phone["payload_segment"] == passcode.payload_text(content)
    assert "no device key" in phone["other_sign"]


def test_the_gate_verdicts(phone: dict[str, Any]) -> None:
    v = phone["verdicts"]
    assert set(VERDICTS) == {x["status"] for x in v.values()}
    assert v["valid"] == {"status": "valid", "reason": "", "holder": "陳大文 (前台)",
                          "items": CONTENT["it"]}
    assert v["spaces"]["status"] == "valid"  # a scanner's stray whitespace
    assert (v["edited"]["status"], v["edited"]["reason"]) == ("forged", "signature")
    assert (v["wrong_key"]["status"], v["wrong_key"]["reason"]) == ("forged", "signature")
    assert (v["truncated"]["status"], v["truncated"]["reason"]) == ("forged", "format")
    assert (v["garbage"]["status"], v["garbage"]["reason"]) == ("forged", "format")
    assert (v["other_site"]["status"], v["other_site"]["reason"]) == ("forged", "site")
    assert v["unknown_key"]["status"] == "unknown_key"
    assert v["expired"]["status"] == "expired"
    assert v["refused_before"]["status"] == "valid"  # a refused check does not use it up
    assert v["used"]["status"] == "used"


def test_python_refuses_what_is_not_a_pass() -> None:
    private, public = passcode.new_key()
    code = passcode.sign(CONTENT, private)
    assert passcode.verify(code, public) == CONTENT
    for bad in (code[:-1], code[: len(code) // 2], "CTP1..", "CTP1.e30.AAAA", "", "x.y.z",
                _edited(code)):
        assert passcode.verify(bad, public) is None, bad
