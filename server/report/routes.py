"""The monthly report's pages: the printable page (a site and a month picked, the last full
month by default), its PDF to download and each chart as an SVG of its own.

A chart is its own response so the page keeps the office's strict Content-Security-Policy:
pygal's SVG styles itself with an inline ``<style>``, which the page's policy refuses; the
chart's own policy allows exactly that and nothing else (no script, no fetching), whether
it is shown by the page's ``<img>`` or opened alone."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from litestar import Request, Response, get
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template

from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.pages import office_staff
from server.refdata.pages import me
from server.report import charts, pdf
from server.report.queries import report_page, section_of

OFFICE: dict[str, Any] = {"guards": [office_staff], "include_in_schema": False}
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _jinja(request: Request[Any, Any, Any]) -> Environment:
    """The app's Jinja environment (the PDF renders its own page with it)."""
    engine = request.app.template_engine
    assert isinstance(engine, JinjaTemplateEngine)
    return engine.engine


@get("/office/report", name="office_report", **OFFICE)
async def report_show(request: Request[Any, Any, Any]) -> Template:
    context = await report_page(me(request), request.query_params.get("site", ""),
                                request.query_params.get("month", ""))
    return Template("office/report/index.html", context=context,
                    status_code=400 if context["errors"] else 200)


@get("/office/report/{site_id:str}/{file:str}", **OFFICE)
async def report_file(request: Request[Any, Any, Any], site_id: FromPath[str],
                      file: FromPath[str]) -> Response[bytes]:
    """``…/2026-11.pdf``: the month's report as a PDF, downloaded."""
    month, dot, kind = file.rpartition(".")
    if not dot or kind != "pdf":
        raise NotFound(_("Not found."))
    name, body = await pdf.report_pdf(_jinja(request), me(request), site_id, month)
    return Response(body, media_type=pdf.MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@get("/office/report/{site_id:str}/{month:str}/{file:str}", **OFFICE)
async def report_chart(request: Request[Any, Any, Any], site_id: FromPath[str],
                       month: FromPath[str], file: FromPath[str]) -> Response[bytes]:
    """``…/2026-11/patrol.svg``: one section's chart, its figures counted for it alone."""
    name, dot, kind = file.rpartition(".")
    if not dot or kind != "svg" or name not in charts.CHARTS:
        raise NotFound(_("Not found."))
    figures = await section_of(me(request), site_id, month, name)
    return Response(charts.draw(name, figures), media_type="image/svg+xml",
                    headers={"Content-Security-Policy": CHART_CSP})


routes = [report_show, report_file, report_chart]
