"""The monthly report's charts, drawn on the server by pygal as SVG — one per section that
has one (the tables beside them give every figure in words for screen readers).

pygal's SVG carries its own inline ``<style>`` and, by default, a tooltip script from a CDN
plus an inline ``<script>`` with its configuration: the tooltip is switched off (``js=[]``)
and an XML filter takes every ``<script>`` out, so a chart is a still picture. The page shows each
chart as an ``<img>`` of its own response (server/report/routes.py), whose
Content-Security-Policy allows that inline style and nothing else; the PDF embeds the same
SVG (WeasyPrint draws it). Pie charts are not used: WeasyPrint draws their arcs wrongly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pygal
from pygal.style import Style

from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from sync.domains.keys.records import BORROWER_KINDS
from sync.domains.repairs.records import CATEGORIES

FONTS = ('"Noto Sans TC", "Noto Sans CJK TC", "PingFang TC", "Microsoft JhengHei", '
         "system-ui, sans-serif")
# the app's palette (web/static/css/app.css): good first, then late, then missed / bad
GOOD, PURPLE, LATE, BAD, MORE, GREY = ("#0f5f56", "#6a3d9a", "#8a5a00", "#a4161a", "#1b4fd8",
                                   "#4a5763")
WIDTH, HEIGHT = 760, 340

TITLES = {
    "patrol": lazy("Patrol rounds by route"),
    "keys": lazy("Key loans by borrower"),
    "cards": lazy("IC cards this month"),
    "requests": lazy("Repair requests by category"),
    "visits": lazy("Residents' scores of visits"),
    "follow_ups": lazy("Follow-up ratings"),
}
CHARTS = tuple(TITLES)

Series = list[tuple[str, Sequence[int]]]


def _style(colors: Sequence[str]) -> Style:
    return Style(font_family=FONTS, background="#ffffff", plot_background="#ffffff",
                 foreground="#15202b", foreground_strong="#15202b",
                 foreground_subtle="#c9d1d9", colors=tuple(colors), title_font_size=18,
                 label_font_size=13, major_label_font_size=13, legend_font_size=14,
                 value_font_size=13, no_data_font_size=22, opacity="1", opacity_hover="1")


def _without_scripts(root: Any) -> Any:
    """pygal's XML filter: the tree with no ``<script>`` element (nothing would run them)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def _chart(kind: Callable[..., Any], name: str, labels: Sequence[str], series: Series,
           colors: Sequence[str], stacked: bool = False, **config: Any) -> bytes:
    """A chart of ``series`` over ``labels``, or the "no records" picture when every value
    is 0. Counts are whole numbers: a small scale gets one tick per unit."""
    values = [list(v) for _n, v in series]
    top = max((sum(col) for col in zip(*values, strict=True)) if stacked and values
              else (max(v, default=0) for v in values), default=0)
    chart = kind(js=[], width=WIDTH, height=HEIGHT, style=_style(colors),
                 legend_at_bottom=True, truncate_legend=-1, truncate_label=-1,
                 print_values=not stacked, print_values_position="top", print_zeroes=False,
                 no_data_text=_("No records"), title=_(TITLES[name]),
                 value_formatter=lambda v: f"{v:.0f}", **config)
    chart.add_xml_filter(_without_scripts)
    if top:
        chart.x_labels = list(labels)
        if top <= 10:
            chart.y_labels = list(range(int(top) + 1))
        for title, v in series:
            chart.add(title, list(v))
    return bytes(chart.render())


def patrol(f: dict[str, Any]) -> bytes:
    routes = f["routes"]
    return _chart(pygal.StackedBar, "patrol", [r["name"] for r in routes], [
        (_("Done on time"), [r["on_time"] for r in routes]),
        (_("Done late"), [r["late"] for r in routes]),
        (_("Incomplete"), [r["incomplete"] for r in routes]),
        (_("Missed"), [r["missed"] for r in routes]),
    ], (GOOD, LATE, GREY, BAD), stacked=True)


def keys(f: dict[str, Any]) -> bytes:
    kinds = f["kinds"]
    return _chart(pygal.Bar, "keys", [_(BORROWER_KINDS.get(k["kind"], k["kind"]))
                                      for k in kinds], [
        (_("Lent"), [k["lent"] for k in kinds]),
        (_("Returned late"), [k["returned_late"] for k in kinds]),
        (_("Overdue at month end"), [k["overdue_at_end"] for k in kinds]),
    ], (GOOD, LATE, BAD))


def cards(f: dict[str, Any]) -> bytes:
    t = f["total"]
    names = (("issued", _("Issued")), ("replaced", _("Replacements")),
             ("lost", _("Reported lost")), ("damaged", _("Damaged")),
             ("returned", _("Returned")), ("revoked", _("Revoked")))
    return _chart(pygal.Bar, "cards", [label for _k, label in names],
                  [(_("Cards"), [t[k] for k, _l in names])], (GOOD,), show_legend=False)


def requests(f: dict[str, Any]) -> bytes:
    lines = f["categories"]
    return _chart(pygal.Bar, "requests", [_(CATEGORIES.get(c["category"], c["category"]))
                                          for c in lines], [
        (_("Reported"), [c["reported"] for c in lines]),
        (_("Responded on time"), [c["responded_on_time"] for c in lines]),
        (_("Completed on time"), [c["completed_on_time"] for c in lines]),
    ], (MORE, GOOD, PURPLE), x_label_rotation=0)


def visits(f: dict[str, Any]) -> bytes:
    scores = f["scores"]
    return _chart(pygal.Bar, "visits", [str(s) for s in scores],
                  [(_("Visits"), list(scores.values()))], (GOOD,), show_legend=False,
                  x_title=_("Score (1–5)"))


def follow_ups(f: dict[str, Any]) -> bytes:
    r = f["ratings"]
    return _chart(pygal.HorizontalStackedBar, "follow_ups", [_("Follow-ups done")], [
        (_("A Satisfied"), [r["A"]]), (_("B Fairly satisfied"), [r["B"]]),
        (_("C Unsatisfied"), [r["C"]]),
    ], (GOOD, LATE, BAD), stacked=True)


DRAW: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "patrol": patrol, "keys": keys, "cards": cards, "requests": requests,
    "visits": visits, "follow_ups": follow_ups,
}


def draw(name: str, figures: dict[str, Any]) -> bytes:
    """The SVG of chart ``name`` (a section's name) from that section's figures."""
    return DRAW[name](figures)


def title(name: str) -> str:
    return _(TITLES[name])
