"""Form payloads of the spreadsheet import (multipart and URL-encoded forms). Every field
is text with a default, so a half-filled form always decodes and the page can answer with a
message next to each field instead of a bare 400. (The reference-data forms are read from
their declarations: :mod:`server.refdata.forms`.)"""

from __future__ import annotations

from typing import Any

import msgspec


class ImportUpload(msgspec.Struct, kw_only=True):
    site: str = ""
    kind: str = "units"  # units | residents
    file: Any = None  # an UploadFile; anything else is "no file chosen"


class ImportConfirm(msgspec.Struct, kw_only=True):
    payload: str = ""
    signature: str = ""
