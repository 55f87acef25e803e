"""The estate (reference data the office keeps and every phone needs): sites (小區),
buildings (座/棟), units (房號) and residents (業主/住戶/租戶).

No phone writes these (the office does, and imports them from spreadsheets): the domain
declares records only. Residents are personal data and travel in their own stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.kit.fields import Field, Problem, ref
from sync.kit.records import RecordType, Tombstone

INACTIVE = Tombstone("active", deleted_value=False)

ID_TYPES = {
    "none": "No ID checked", "hkid": "HKID card", "mainland_id": "Mainland ID card",
    "passport": "Passport", "other": "Other ID",
}
UNIT_USES = {
    "residential": "Residential", "commercial": "Commercial", "parking": "Parking space",
    "storage": "Storage", "other": "Other use",
}
RELATIONS = {"owner": "Owner", "household": "Household member", "tenant": "Tenant",
             "proxy": "Authorised proxy"}

ID_TYPE = Field("id_type", choices=ID_TYPES, label="ID type",
                choice_message="Choose one of the listed ID types.")
# the last characters of an ID number only (PCPD / PIPL): never a whole number
ID_LAST4 = Field("id_last4", text="idpart", max_length=4, pattern=r"^[0-9A-Z]*$",
                 pattern_message="Letters and digits only.", label="ID last 4", personal=True,
                 length_message="Only the last 4 characters of an ID number are kept: "
                                "enter at most 4.")
PHONE = Field("phone", max_length=40, pattern=r"^[0-9+()\- ]*$",
              pattern_message="Use digits, spaces, + - ( ) only (at most 40).",
              label="Phone", personal=True)

# a site's or building's short code (HYG, A): compared and stored in upper case
CODE = Field("code", text="code", max_length=20, required=True, pattern=r"^[A-Z0-9][A-Z0-9_\-]*$",
             pattern_message="Letters, digits, - and _ only.", label="Code", indexed=True)
MAX_AREA = 100_000  # m²; more is a typing slip

SITE = RecordType(
    "site", "estate", label="Site", title=("code", "name"), site_field="",
    fields=(
        CODE,
        Field("name", max_length=120, required=True, label="Name"),
        Field("address", max_length=255, label="Address"),
    ),
    tombstone=INACTIVE,
)

BUILDING = RecordType(
    "building", "estate", label="Building", title=("code", "name"),
    fields=(
        ref("site_id", "site", label="Site"),
        CODE,
        Field("name", max_length=120, required=True, label="Name"),
    ),
    tombstone=INACTIVE,
)

UNIT = RecordType(
    "unit", "estate", label="Unit", title=("number",),
    fields=(
        ref("site_id", "site", label="Site"),
        ref("building_id", "building", label="Building"),
        Field("number", max_length=40, required=True, label="Unit number", indexed=True),
        Field("floor", max_length=10, label="Floor"),
        Field("area", "float", nullable=True, label="Area (m²)", minimum=0, above_minimum=True,
              maximum=MAX_AREA, range_message="The area must be more than 0 and at most {max} m².",
              number_message="Enter the area as a number of square metres, e.g. 56.5."),
        Field("use", choices=UNIT_USES, label="Use",
              choice_message="Choose one of the listed uses."),
    ),
    tombstone=INACTIVE,
)

ID_WITHOUT_TYPE = "Choose the type of the ID these characters come from."


def _resident_check(values: Mapping[str, Any]) -> list[Problem]:
    """The last characters of an ID need the type of that ID."""
    if values.get("id_last4") and values.get("id_type") == "none":
        return [Problem("id_type", ID_WITHOUT_TYPE)]
    return []


RESIDENT = RecordType(
    "resident", "residents", label="Resident", title=("name",),
    fields=(
        ref("site_id", "site", label="Site"),
        ref("unit_id", "unit", label="Unit"),
        Field("name", max_length=120, required=True, label="Name", personal=True),
        PHONE,
        Field("relation", choices=RELATIONS, label="Relation",
              choice_message="Choose one of the listed relations."),
        ID_TYPE,
        ID_LAST4,
        Field("notes", text="multiline", max_length=2000, label="Notes", personal=True),
    ),
    tombstone=INACTIVE,
    check=_resident_check,
)

RECORDS = (SITE, BUILDING, UNIT, RESIDENT)
MUTATIONS = ()
# the words of this domain's own checks
MESSAGES = (ID_WITHOUT_TYPE,)
