"""Form payloads of the office's reference-data pages (URL-encoded or multipart forms).

Every field is text with a default, so a half-filled form always decodes and the service
can answer with a message next to each field instead of a bare 400."""

from __future__ import annotations

from typing import Any

import msgspec


class SiteForm(msgspec.Struct, kw_only=True):
    code: str = ""
    name: str = ""
    address: str = ""


class BuildingForm(msgspec.Struct, kw_only=True):
    site: str = ""  # fixed once created
    code: str = ""
    name: str = ""


class UnitForm(msgspec.Struct, kw_only=True):
    building: str = ""  # building id; the site follows from it
    number: str = ""
    floor: str = ""
    area: str = ""
    use: str = "residential"


class ResidentForm(msgspec.Struct, kw_only=True):
    building: str = ""  # building id
    unit_number: str = ""
    name: str = ""
    phone: str = ""
    relation: str = "owner"
    id_type: str = "none"
    id_last4: str = ""
    notes: str = ""


class ActiveForm(msgspec.Struct, kw_only=True):
    """Deactivate (``active=0``) or reactivate (``active=1``) a row."""

    active: str = ""


class ImportUpload(msgspec.Struct, kw_only=True):
    site: str = ""
    kind: str = "units"  # units | residents
    file: Any = None  # an UploadFile; anything else is "no file chosen"


class ImportConfirm(msgspec.Struct, kw_only=True):
    payload: str = ""
    signature: str = ""
