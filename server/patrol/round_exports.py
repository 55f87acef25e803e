"""The patrol board as a spreadsheet: every round of the board's site and day (the rows the
board shows, in its order) with its state, progress and guards, as CSV or XLSX through the
office's one export (:mod:`server.lib.exports`). A day's rounds are a few dozen: the board
reads them at once, and so does its export (one batch), each round's review after the
board's columns (:mod:`server.lib.reviewed`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar.response import Stream

from server.accounts.schemas import CurrentUser
from server.lib import exports, reviewed
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.queries import local_time
from server.patrol import queries

STATES = {"planned": lazy("Planned"), "in_progress": lazy("In progress"),
          "done": lazy("Done"), "incomplete": lazy("Incomplete"), "missed": lazy("Missed"),
          "late": lazy("Late")}  # the board's words for board_state()
COLUMNS = (
    ("slot", lazy("Planned start")), ("route_name", lazy("Route")),
    ("state", lazy("Status")), ("progress", lazy("Checkpoints")),
    ("guards", lazy("Guards")), ("start_by_text", lazy("Start by")),
    ("due", lazy("Due")), ("started", lazy("Started at")), ("finished", lazy("Finished at")),
    ("unscheduled", lazy("Unscheduled")), *reviewed.COLUMNS,
)


def shape(r: dict[str, Any]) -> dict[str, Any]:
    done, stops = r["progress"]
    return {**r, "state": _(STATES.get(r["state"], r["state"])), "progress": f"{done} / {stops}",
            "guards": "、".join(g["name"] for g in r["guards"]) or _("Any guard of the site"),
            "started": local_time(r["started_at"]), "finished": local_time(r["finished_at"]),
            "unscheduled": _("Yes") if r["unscheduled"] else _("No"), **reviewed.cells(r)}


async def export(user: CurrentUser, site: str, day: str, fmt: exports.Format,
                 review: str = "") -> Stream:
    board = await queries.board(user, site, day, review)

    async def one_batch() -> AsyncIterator[list[dict[str, Any]]]:
        yield board["rounds"]

    return await exports.export(fmt, COLUMNS, one_batch(),
                                exports.stamp("patrol-rounds", board["site"]["code"],
                                              board["day"]), lazy("Rounds"), shape)
