"""Key register (鑰匙登記) and key loans (鑰匙借用): the first domain on the kit.

``records`` declares the record types, ``rules`` the mutations and their rules,
``scenario`` what simulated phones do with keys in the convergence tests. The phone's side
lives in ``web/static/app/keys/``, the office's in ``server/keys/``."""

from sync.domains.keys.records import RECORDS
from sync.domains.keys.rules import MUTATIONS

__all__ = ["MUTATIONS", "RECORDS"]
