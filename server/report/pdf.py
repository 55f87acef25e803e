"""The monthly report as a PDF: the same body as the printable page (office/report/
_report.html) in a page of its own, laid out by WeasyPrint on A4 with the report's print
stylesheet, the charts embedded as SVG.

WeasyPrint fetches nothing: the charts are ``data:`` URLs and its URL fetcher allows no
other scheme (the HTML carries names people typed). It is synchronous and slow next to a
query (a second or two on this kind of machine, most of it laying out and subsetting the
Chinese font), so it runs in a worker thread, one PDF at a time (Pango's font set-up is not
meant to be shared between threads); it is imported when the first PDF is asked for (its
import alone takes most of a second, which the server's start need not pay)."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import threading
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment

from server.accounts.schemas import CurrentUser
from server.report import charts
from server.report.queries import LABELS, monthly_report

CSS_PATH = Path(__file__).resolve().parents[2] / "web" / "static" / "css" / "report.css"
TEMPLATE = "office/report/pdf.html"
MEDIA_TYPE = "application/pdf"
_one_at_a_time = threading.Lock()
# WeasyPrint logs each step of every PDF at INFO: the server's log keeps its warnings only
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def data_url(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def file_name(report: dict[str, Any]) -> str:
    """``monthly-report-HYG-2026-11.pdf`` (the site's code kept to safe characters)."""
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", str(report["site"]["code"])).strip("-") or "site"
    return f"monthly-report-{code}-{report['month']}.pdf"


def html_of(env: Environment, report: dict[str, Any]) -> str:
    sources = {name: data_url(charts.draw(name, report[name])) for name in charts.CHARTS}
    return env.get_template(TEMPLATE).render(**report, **LABELS,
                                             chart_src=sources.__getitem__)


@cache
def _stylesheet() -> Any:
    from weasyprint import CSS

    return CSS(string=CSS_PATH.read_text(encoding="utf-8"))


def _write(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=("data",))
    with _one_at_a_time:
        out = HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[_stylesheet()])
    assert out is not None
    return bytes(out)


async def report_pdf(env: Environment, user: CurrentUser, site_id: str, month: str
                     ) -> tuple[str, bytes]:
    """(file name, PDF bytes) of the site's report for ``month`` (its errors as
    :func:`server.report.queries.monthly_report`'s)."""
    report = await monthly_report(user, site_id, month)
    html = html_of(env, report)
    return file_name(report), await asyncio.to_thread(_write, html)
