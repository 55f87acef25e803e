"""Display labels of stored codes (roles, categories, relations …), marked for translation.

Templates show ``_(code)``; the catalogs map each code to its label in both languages.
"""

from __future__ import annotations

from server.lib.i18n import lazy

ROLE_LABELS = {
    "patrol": lazy("patrol"),
    "technician": lazy("technician"),
    "front_desk": lazy("front_desk"),
    "supervisor": lazy("supervisor"),
    "admin": lazy("admin"),
}
