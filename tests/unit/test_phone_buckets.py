"""The phone's apply.js drops a bucket's records exactly (tests/unit/phone_buckets.mjs runs the
staff app's own modules under Node on fake-indexeddb), as sync/client.py does."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from sync.domains import default_registry
from sync.kit.export import export

ROOT = Path(__file__).resolve().parents[2]


def test_a_bucket_del_drops_that_units_records_only(tmp_path: Path) -> None:
    kit = tmp_path / "kit.json"
    kit.write_text(json.dumps(export(default_registry())), encoding="utf-8")
    steps = [
        {"del": "S:residents@U1", "local": []},
        {"del": "S:visits@U1", "local": [["repair_request", "q3"]]},  # q3 has pending changes
        {"del": "S:visits@-", "local": []},
        {"del": "S:estate", "local": []},
    ]
    done = subprocess.run(
        [shutil.which("node") or "node", str(ROOT / "tests" / "unit" / "phone_buckets.mjs"),
         str(kit), json.dumps(steps)], capture_output=True, text=True, timeout=120, cwd=ROOT,
        check=False)
    assert done.returncode == 0, done.stderr
    after = json.loads(done.stdout)
    every = ["resident/r1", "resident/r2", "repair_request/q1", "repair_request/q2",
             "repair_request/q3", "repair_technician/t1", "unit/U1"]
    assert after[0] == [k for k in every if k != "resident/r1"] + ["q3 keeps its server copy"]
    # q3 stays while its change is pending, but without a server copy: the next rebase
    # drops it once the change is confirmed
    assert after[1] == [k for k in every if k not in ("resident/r1", "repair_request/q1")]
    assert after[2] == ["resident/r2", "repair_request/q3", "unit/U1"]
    assert after[3] == ["resident/r2", "repair_request/q3"]
