"""Front-desk logs: the visitor register (來訪登記), goods-out passes (放行條) checked at the
gate offline, and the shift handover (交接班) — the fifth domain on the kit.

``records`` declares the device keys, visitors, passes, gate checks and handovers; ``rules``
the mutations; ``passcode`` the pass's QR text and its signature (verified by the office;
the phones verify with Web Crypto); ``scenario`` what simulated desks and guards do in the
convergence and parity tests. The phone's side lives in ``web/static/app/desk/``, the
office's in ``server/desk/``.

The phone code comes in three parts (:data:`PHONE_PARTS`): ``index.js`` (phone domain
``desk``: the visitors inside and signing one out, the handover — what the desk and the gate
both do), ``front.js`` (phone domain ``desk_front``: signing visitors in, issuing passes
signed with the phone's key) and ``gate.js`` (phone domain ``desk_gate``: scanning and
checking a pass), so a desk's phone does not carry the gate's screens nor a guard's the
desk's."""

from sync.domains.desk.records import RECORDS
from sync.domains.desk.rules import MUTATIONS

PHONE_PARTS = {
    "desk_front": ("desk.register_key", "visitor.sign_in", "pass.issue"),
    "desk_gate": ("pass.check",),
}

__all__ = ["MUTATIONS", "PHONE_PARTS", "RECORDS"]
