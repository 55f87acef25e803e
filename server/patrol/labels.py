"""The patrol office's small pure pieces: the random QR token of a tag, a checklist's items
written as lines of text (``Pressure | number | 2-8 | bar | photo``) and read back, and the
labels of the office's own codes (marked for translation; the declared ones are in
``sync/domains/patrol/records.py``)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from server.lib.i18n import lazy
from sync.domains.patrol.records import ITEM_TYPES, ITEMS_LIMIT, ROUND_STATUSES

TOKEN_BYTES = 18  # 24 URL-safe characters: never guessable, never the unit number


def new_token() -> str:
    """A fresh QR token (what the label's QR code holds, and nothing else)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


# --- a checklist's items as text lines ---------------------------------------------------

TYPE_WORDS = {
    "yesno": "yesno", "yes/no": "yesno", "yn": "yesno", "是否": "yesno",
    "number": "number", "num": "number", "數字": "number", "數值": "number",
    "choice": "choice", "選擇": "choice", "選項": "choice",
    "text": "text", "文字": "text",
}
PHOTO_WORDS = ("photo", "相片", "拍照")
ITEMS_HINT = lazy("One item per line: label | type | details. Types: yesno, number (range and unit: 2-8 | bar), choice (ok/dim/out), text. Add | photo to ask for a photo when not normal.")  # noqa: E501
BAD_TYPE = lazy("Line {line}: the type must be yesno, number, choice or text.")
BAD_RANGE = lazy("Line {line}: write the normal range as min-max, e.g. 2-8.")
BAD_CHOICES = lazy("Line {line}: list at least two choices separated by /, e.g. ok/dim/out.")
BAD_LABEL = lazy("Line {line}: the label is missing or longer than 120 characters.")
REPEATED = lazy("Line {line}: this label is already on line {first}.")
TOO_MANY = lazy("At most {n} items.")
NO_ITEMS = lazy("Write at least one item.")
RANGE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|–|~|to)\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass
class LineProblem:
    message: str
    params: dict[str, Any]


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def parse_items(text: str, previous: Sequence[Any] = ()) -> tuple[list[dict[str, Any]],
                                                                    LineProblem | None]:
    """The items written one per line, or the first problem (with its line number). An
    item keeps its id when a previous item had the same label (answers stay attached)."""
    ids = {str(p.get("label")): str(p.get("id")) for p in previous
           if isinstance(p, dict) and p.get("id")}
    items: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    lines = [(n, line) for n, line in enumerate(str(text or "").splitlines(), start=1)
             if line.strip()]
    if not lines:
        return [], LineProblem(NO_ITEMS, {})
    if len(lines) > ITEMS_LIMIT:
        return [], LineProblem(TOO_MANY, {"n": ITEMS_LIMIT})
    for n, line in lines:
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        label = " ".join(parts[0].split())
        if not label or len(label) > 120:
            return [], LineProblem(BAD_LABEL, {"line": n})
        if label.lower() in seen:
            return [], LineProblem(REPEATED, {"line": n, "first": seen[label.lower()]})
        seen[label.lower()] = n
        kind = TYPE_WORDS.get(parts[1].lower() if len(parts) > 1 and parts[1] else "yesno")
        if kind is None:
            return [], LineProblem(BAD_TYPE, {"line": n})
        rest = [p for p in parts[2:] if p]
        photo = any(p.lower() in PHOTO_WORDS for p in rest)
        rest = [p for p in rest if p.lower() not in PHOTO_WORDS]
        item: dict[str, Any] = {"id": ids.get(label) or "i" + secrets.token_hex(4),
                                "label": label, "type": kind}
        if kind == "number" and rest:
            match = RANGE.match(rest[0])
            if match is None:
                return [], LineProblem(BAD_RANGE, {"line": n})
            low, high = _number(match.group(1)), _number(match.group(2))
            if low > high:
                return [], LineProblem(BAD_RANGE, {"line": n})
            item.update(min=low, max=high)
            if len(rest) > 1:
                item["unit"] = rest[1][:20]
        elif kind == "choice":
            choices = [c.strip() for c in (rest[0] if rest else "").split("/") if c.strip()]
            if len(choices) < 2 or any(len(c) > 40 for c in choices):
                return [], LineProblem(BAD_CHOICES, {"line": n})
            item["choices"] = choices
        if photo:
            item["photo_if_abnormal"] = True
        items.append(item)
    return items, None


def format_items(items: Any) -> str:
    """Items as the lines :func:`parse_items` reads (the edit form's text)."""
    lines = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict) or item.get("type") not in ITEM_TYPES:
            continue
        parts = [str(item.get("label", "")), str(item["type"])]
        if item["type"] == "number" and item.get("min") is not None \
                and item.get("max") is not None:
            parts.append(f"{item['min']:g}-{item['max']:g}")
            if item.get("unit"):
                parts.append(str(item["unit"]))
        elif item["type"] == "choice":
            parts.append("/".join(str(c) for c in item.get("choices") or []))
        if item.get("photo_if_abnormal"):
            parts.append("photo")
        lines.append(" | ".join(parts))
    return "\n".join(lines)


# --- the office's words for what it shows --------------------------------------------------

BOARD_STATUSES = {**ROUND_STATUSES, "late": lazy("Late")}
FLAG_LABELS = {
    "off_route": lazy("Not on the route"), "early": lazy("Early"), "late": lazy("Late"),
    "repeat": lazy("Repeated"), "after_finish": lazy("After the finish"),
}
BACKDATED = lazy("Backdated")
TYPED = lazy("Typed")
