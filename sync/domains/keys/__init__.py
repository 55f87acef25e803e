"""Key register (鑰匙登記) and key loans (鑰匙借用): the first domain on the kit.

``records`` declares the record types, ``rules`` the mutations and their rules,
``scenario`` what simulated phones do with keys in the convergence tests. The phone's side
lives in ``web/static/app/keys/`` (``office.js``, phone domain ``keys_office``: the rule of
voiding a loan, which only supervisors and admins run — :data:`PHONE_PARTS`), the office's in
``server/keys/``."""

from sync.domains.keys.records import RECORDS
from sync.domains.keys.rules import MUTATIONS

# phone part -> the mutations whose rules it carries (the index part carries the others)
PHONE_PARTS = {
    "keys_office": ("key.void_loan",),
}

__all__ = ["MUTATIONS", "PHONE_PARTS", "RECORDS"]
