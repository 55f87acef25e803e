"""What the office's reference-data pages share beyond :mod:`server.lib.queries` (scoping,
search, paging): the outcome of a form, the administrators-only check, tidy text."""

from __future__ import annotations

from typing import Any

import msgspec

from server.accounts.schemas import CurrentUser
from server.lib.errors import Forbidden
from server.lib.i18n import gettext as _


class Outcome(msgspec.Struct, kw_only=True):
    """What a form submission produced: the saved row's id, or field errors and the context
    to re-render the form with."""

    id: str = ""
    errors: dict[str, str] = msgspec.field(default_factory=dict)
    context: dict[str, Any] = msgspec.field(default_factory=dict)


def require_admin(user: CurrentUser) -> None:
    if not user.is_admin:
        raise Forbidden(_("Only administrators may manage staff and reference data."))


def clean(value: str) -> str:
    """Form text with surrounding and repeated inner whitespace removed."""
    return " ".join(str(value or "").split())
