"""Field rules of units and residents, shared by the office forms and the spreadsheet import,
so a row is accepted by one exactly when the other would accept it. Pure (no database)."""

from __future__ import annotations

import math
from typing import Any

from server.estate.common import check_length, check_phone, clean
from server.estate.tables import ID_TYPES, RESIDENT_RELATIONS, UNIT_USES
from server.lib.i18n import gettext as _

MAX_AREA = 100_000.0  # m²; more is a typing slip


def unit_fields(number: str, floor: str, area: str, use: str
                ) -> tuple[dict[str, Any], dict[str, str]]:
    """Cleaned unit values and the errors of each field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"number": clean(number), "floor": clean(floor),
                              "area": None, "use": clean(use) or "residential"}
    check_length(errors, "number", values["number"], 40)
    check_length(errors, "floor", values["floor"], 10, required=False)
    raw_area = clean(area).replace(",", "")
    if raw_area:
        try:
            value = float(raw_area)
        except ValueError:
            errors["area"] = _("Enter the area as a number of square metres, e.g. 56.5.")
        else:
            if not math.isfinite(value) or value <= 0:
                errors["area"] = _("The area must be more than 0.")
            elif value > MAX_AREA:
                errors["area"] = _("The area must be at most {n} m².", n=int(MAX_AREA))
            else:
                values["area"] = round(value, 2)
    if values["use"] not in UNIT_USES:
        errors["use"] = _("Choose one of the listed uses.")
    return values, errors


def id_last4(raw: str) -> tuple[str, str | None]:
    """The last characters of an ID number as stored (upper case, no spaces or brackets),
    or an error. A longer value is refused, never cut: it may be a full ID number, which
    must not be kept anywhere (PCPD / PIPL)."""
    value = "".join(ch for ch in str(raw or "") if ch not in " ()（）").upper()
    if len(value) > 4:
        return "", _("Only the last 4 characters of an ID number are kept: enter at most 4.")
    if value and not value.isalnum():
        return "", _("Letters and digits only.")
    return value, None


def resident_fields(name: str, phone: str, relation: str, id_type: str, last4: str,
                    notes: str = "") -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "name": clean(name), "phone": clean(phone), "relation": clean(relation) or "owner",
        "id_type": clean(id_type) or "none", "id_last4": "", "notes": str(notes or "").strip(),
    }
    check_length(errors, "name", values["name"], 120)
    check_phone(errors, "phone", values["phone"])
    if values["relation"] not in RESIDENT_RELATIONS:
        errors["relation"] = _("Choose one of the listed relations.")
    if values["id_type"] not in ID_TYPES:
        errors["id_type"] = _("Choose one of the listed ID types.")
    values["id_last4"], problem = id_last4(last4)
    if problem:
        errors["id_last4"] = problem
    elif values["id_last4"] and values["id_type"] == "none":
        errors["id_type"] = _("Choose the type of the ID these characters come from.")
    check_length(errors, "notes", values["notes"], 2000, required=False)
    return values, errors
