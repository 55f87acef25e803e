"""Display labels of stored codes (roles, categories, relations …), marked for translation.

Templates show ``_(code)``; the catalogs map each code to its label in both languages.
"""

from __future__ import annotations

from server.lib.i18n import lazy
from sync.domains.estate import ID_TYPES

ROLE_LABELS = {
    "patrol": lazy("patrol"),
    "technician": lazy("technician"),
    "front_desk": lazy("front_desk"),
    "supervisor": lazy("supervisor"),
    "admin": lazy("admin"),
}

# --- reference data (office) ---
UNIT_USE_LABELS = {
    "residential": lazy("residential"),
    "commercial": lazy("commercial"),
    "parking": lazy("parking"),
    "storage": lazy("storage"),
    "other": lazy("other"),
}

RELATION_LABELS = {
    "owner": lazy("owner"),
    "household": lazy("household"),
    "tenant": lazy("tenant"),
    "proxy": lazy("proxy"),
}

# declared with the records that hold them (sync/domains/estate.py)
ID_TYPE_LABELS = dict(ID_TYPES)
