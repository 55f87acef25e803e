"""The pages of any reference-data list (:class:`server.refdata.spec.RefList`): the list,
the detail page with its form, the new-record form, a submission, deactivation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.accounts.schemas import CurrentUser
from server.db import is_integrity_error
from server.lib.queries import empty_page, paged
from server.refdata import forms
from server.refdata.common import Outcome, clean
from server.refdata.spec import RefList, inputs_for


async def _filters(lst: RefList, user: CurrentUser, values: Mapping[str, str]
                   ) -> list[dict[str, Any]]:
    out = []
    for f in lst.filters:
        value = values.get(f.name, "")
        options = [] if f.hidden else await lst.filter_options(f.name, user, value)
        first = [("", f.everything)] if f.everything else []
        out.append({"name": f.name, "label": f.label, "hidden": f.hidden, "value": value,
                    "options": [*first, *options]})
    return out


async def listing(lst: RefList, user: CurrentUser, q: str, filters: Mapping[str, str],
                  page: int) -> dict[str, Any]:
    lst.check_reader(user)
    q = clean(q)
    values = {f.name: str(filters.get(f.name, "") or f.default) for f in lst.filters}
    params = {"q": q, **values}
    context: dict[str, Any] = {
        "lst": lst, "q": q, "filters": await _filters(lst, user, values),
        "params": params, "can_write": lst.can_write(user),
        "actions": lst.actions(user, params),
    }
    where = lst.where(user, q, values)
    if where is False:
        return {**context, "page": empty_page()}
    select = lst.table.select(*lst.selected())
    for path in lst.order:
        select = select.order_by(lst.column(path))
    count = lst.table.count()
    if where is not None:
        select, count = select.where(where), count.where(where)
    result = await paged(select, count, page)
    await lst.decorate(result.rows)
    for r in result.rows:
        r["cells"] = lst.cells(r)
    return {**context, "page": result}


async def _form_context(lst: RefList, user: CurrentUser, row: Mapping[str, Any] | None,
                        form: Mapping[str, Any], errors: Mapping[str, str]) -> dict[str, Any]:
    readonly = not lst.can_write(user)
    context: dict[str, Any] = {
        "lst": lst, "row": row, "form": form, "errors": errors, "readonly": readonly,
        "inputs": inputs_for(lst, row is None), "options": await lst.options(user, row),
    }
    if row is not None:
        title, subtitle = lst.heading(row)
        context.update({"title": title, "subtitle": subtitle,
                        "links": lst.links(row, user), **await lst.detail(user, row)})
    return context


async def detail_page(lst: RefList, user: CurrentUser, record_id: str) -> dict[str, Any]:
    lst.check_reader(user)
    row = await lst.load(user, record_id)
    return await _form_context(lst, user, row, lst.form_from_row(row), {})


async def new_page(lst: RefList, user: CurrentUser, query: Mapping[str, str]
                   ) -> dict[str, Any]:
    lst.check_writer(user)
    return await _form_context(lst, user, None, await lst.blank_form(user, query), {})


async def submit(lst: RefList, user: CurrentUser, record_id: str | None,
                 data: Mapping[str, Any]) -> Outcome:
    """Check a submitted form and store it, or the form again with every problem (nothing
    stored then)."""
    lst.check_writer(user)
    row = await lst.load(user, record_id) if record_id is not None else None
    form = forms.read(lst, data, creating=row is None)
    if form.once and await lst.exists(form.once):
        return Outcome(id=form.once)  # the same form again (a double tap, a retry): saved
    await lst.resolve(user, form, row)
    if not form.errors:
        try:
            saved = await lst.write(user, row, form.values, form)
        except Exception as exc:
            if not is_integrity_error(exc):
                raise
            if form.once and await lst.exists(form.once):
                return Outcome(id=form.once)  # sent twice at once: the other one saved it
            form.error(*lst.clash())
        else:
            await lst.after_write(user, saved)
            return Outcome(id=saved)
    return Outcome(errors=form.errors, context=await _form_context(
        lst, user, row, form.shown, form.errors))


async def set_active(lst: RefList, user: CurrentUser, record_id: str, active: bool
                     ) -> Outcome:
    lst.check_writer(user)
    row = await lst.load(user, record_id)
    problem = await lst.set_active(user, row, active)
    if problem:
        errors = {"active": problem}
        context = await _form_context(lst, user, row, lst.form_from_row(row), errors)
        return Outcome(errors=errors, context=context)
    await lst.after_write(user, str(row["id"]))
    return Outcome(id=str(row["id"]))
