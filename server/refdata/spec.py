"""What one reference-data list is: a declared record type (its fields, limits, labels and
checks: ``sync/domains``, or the server's own declarations such as staff), the Piccolo table
that holds it, and a few facts only the office needs — the list's columns, search and
filters, the form's inputs, and the lookups a form needs (references, uniqueness).

:class:`RefList` is the whole CRUD shape — list with search, filters and pages; detail page
and form; create, edit, deactivate/reactivate — once, for any declared type. A domain
describes its lists in a subclass per type (``server/estate/lists.py``,
``server/accounts/staff_list.py``, ``server/keys/register_list.py``) and overrides only what
differs; :mod:`server.refdata.routes` serves them and ``web/templates/office/ref/``
renders them.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any, ClassVar, Literal

from piccolo.table import Table

from server.accounts.schemas import CurrentUser
from server.lib.errors import NotFound
from server.lib.i18n import gettext as _
from server.lib.i18n import lazy
from server.lib.pages import OFFICE_ROLES
from server.lib.queries import both, contains, plain, require_id, scope
from server.refdata.common import require_admin
from sync.kit.fields import Field
from sync.kit.records import RecordType

ONCE = "_once"  # the hidden input holding a new record's id
CLASH = lazy("Someone saved the same record at the same moment: nothing was saved. Check the list, then save again if it is still needed.")  # noqa: E501

Widget = Literal["text", "textarea", "select", "grouped", "checkboxes", "password", "tel"]
Option = tuple[str, str]


@dataclass(frozen=True)
class Col:
    """A column of the list: ``key`` of the row (a declared field or a joined alias)."""

    key: str
    label: str = ""  # default: the declared field's label
    show: Literal["text", "link", "choice", "status", "number", "badge"] = "text"
    href: str = ""  # a link elsewhere: "/office/units/{unit}" (row keys in braces)


@dataclass(frozen=True)
class Filter:
    """A filter of the list (a query parameter). ``options`` for a select; ``hidden``
    filters only narrow (``?building=`` from a building's page) and are kept in the form."""

    name: str
    label: str = ""
    everything: str = ""  # the first option, "" = every value ("" = no such option)
    hidden: bool = False
    default: str = ""  # the value when the query names none


@dataclass(frozen=True)
class Input:
    """A form input. ``field``: the declared field its value fills (checked by the kit);
    "" for inputs the list's :meth:`RefList.resolve` reads itself (``building``,
    ``unit_number``, a password). ``when``: on the new form, the edit form or both."""

    name: str
    field: str = "-"  # "-" = the same name
    label: str = ""
    widget: Widget = "text"
    hint: str = ""
    required: bool | None = None  # default: the declared field's
    when: Literal["always", "create", "edit"] = "always"
    default: str = ""
    prepare: Callable[[str], str] | None = None  # e.g. lower-case a user name
    attrs: Mapping[str, Any] = dc_field(default_factory=dict)

    @property
    def target(self) -> str:
        return self.name if self.field == "-" else self.field


@dataclass
class Submission:
    """A form as it was sent (``shown``, never a password) and what it became: ``values``
    (declared field -> stored value) and ``errors`` (input name -> message)."""

    shown: dict[str, Any]
    values: dict[str, Any] = dc_field(default_factory=dict)
    errors: dict[str, str] = dc_field(default_factory=dict)
    secrets: dict[str, str] = dc_field(default_factory=dict)  # passwords: never shown again
    once: str = ""  # a new record's id, chosen when its form was made

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


class RefList:
    """One list of reference data. Class attributes describe it; methods are the hooks a
    type may override (each has the generic behaviour)."""

    slug: ClassVar[str]  # URL /office/<slug>, the sub-navigation's key
    type: ClassVar[RecordType]
    table: ClassVar[builtins.type[Table]]
    title: ClassVar[str]  # "Sites"
    new_title: ClassVar[str]  # "New site"
    legend: ClassVar[str]  # "Site details"
    columns: ClassVar[tuple[Col, ...]]
    inputs: ClassVar[tuple[Input, ...]]
    search: ClassVar[tuple[str, ...]] = ()  # column paths searched by ``q``: "building.code"
    search_hint: ClassVar[str] = ""
    order: ClassVar[tuple[str, ...]] = ()
    filters: ClassVar[tuple[Filter, ...]] = ()
    joins: ClassVar[tuple[tuple[str, str], ...]] = ()  # (alias, column path): site.name
    readers: ClassVar[Literal["office", "admin"]] = "office"
    writers: ClassVar[Literal["office", "admin"]] = "admin"
    nav_template: ClassVar[str] = "office/_refnav.html"
    site_column: ClassVar[str] = "site"  # "id" for sites; "" when not scoped by site
    synced: ClassVar[bool] = True  # writes bump the space version and are audited
    detail_template: ClassVar[str] = ""  # extra sections of the detail page

    # --- the declaration ---------------------------------------------------------------------

    def texts(self) -> set[str]:
        """Every text the list shows people besides the declaration's (the catalogs must
        hold each: ``tests/unit/test_i18n.py``)."""
        out = {self.title, self.new_title, self.legend, self.search_hint}
        out |= {c.label for c in self.columns} | {self.label_of(c.key) for c in self.columns}
        out |= {f.label for f in self.filters} | {f.everything for f in self.filters}
        out |= {i.label for i in self.inputs} | {i.hint for i in self.inputs}
        return {t for t in out if t}

    def field(self, name: str) -> Field:
        return self.type.field(name)

    def label_of(self, name: str) -> str:
        """A column's or input's label: its own, else the declared field's."""
        for c in self.columns:
            if c.key == name and c.label:
                return c.label
        for i in self.inputs:
            if i.name == name and i.label:
                return i.label
        f = self.type.by_field.get(name)
        return f.label if f is not None else name

    def column(self, path: str) -> Any:
        """A Piccolo column by path: ``code``, ``site.name`` (a join)."""
        out: Any = self.table
        for part in path.split("."):
            out = getattr(out, part)
        return out

    def db_column(self, name: str) -> str:
        """The column that holds declared field ``name`` (``site_id`` -> ``site``)."""
        f = self.type.by_field.get(name)
        return f.column if f is not None else name

    # --- who sees what -----------------------------------------------------------------------

    def scope(self, user: CurrentUser, site: str = "") -> Any:
        """The rows ``user`` may see (narrowed to ``site``): a where-clause, ``None`` (all)
        or ``False`` (nothing)."""
        if not self.site_column:
            return None
        return scope(self.column(self.site_column), user, site)

    def check_reader(self, user: CurrentUser) -> None:
        if self.readers == "admin":
            require_admin(user)

    def can_write(self, user: CurrentUser) -> bool:
        return user.is_admin or (self.writers == "office" and user.role in OFFICE_ROLES)

    def check_writer(self, user: CurrentUser) -> None:
        if not self.can_write(user):
            require_admin(user)  # the refusal, in its words

    def actions(self, user: CurrentUser, params: Mapping[str, str]) -> list[Option]:
        """Buttons beside the list's title besides "New …": (label, href)."""
        return []

    def site_of(self, row: Mapping[str, Any]) -> str:
        return str(row[self.site_column]) if self.site_column else ""

    # --- the list ----------------------------------------------------------------------------

    def selected(self) -> list[Any]:
        """The columns a list row holds."""
        aliases = {alias for alias, _path in self.joins}
        keys = ["id", *(self.db_column(c.key) for c in self.columns if c.key not in aliases)]
        if self.type.tombstone is not None:
            keys.append(self.type.tombstone.flag)
        if self.site_column and self.site_column not in keys:
            keys.append(self.site_column)
        out = [self.column(k) for k in dict.fromkeys(keys) if hasattr(self.table, k)]
        out += [self.column(path).as_alias(alias) for alias, path in self.joins]
        return out

    def where_search(self, q: str) -> Any:
        if not q or not self.search:
            return None
        clause: Any = None
        for path in self.search:
            part = contains(self.column(path), q)
            clause = part if clause is None else clause | part
        return clause

    def where_filter(self, name: str, value: str, user: CurrentUser) -> Any:
        """A filter's clause (``site`` is the scope's; others compare a column)."""
        if not value or name == "site":
            return None
        try:
            return self.column(name) == str(uuid.UUID(value))
        except ValueError:
            return False

    async def filter_options(self, name: str, user: CurrentUser, value: str
                             ) -> list[Option]:
        """The options of a filter's select (sites by default)."""
        if name == "site":
            from server.refdata.options import site_options

            return [(s["id"], f"{s['code']} · {s['name']}")
                    for s in await site_options(user, include=value or None)]
        return []

    def where(self, user: CurrentUser, q: str, filters: Mapping[str, str]) -> Any:
        scope = self.scope(user, filters.get("site", ""))
        if scope is False:
            return False
        parts = [scope, self.where_search(q)]
        for f in self.filters:
            clause = self.where_filter(f.name, filters.get(f.name, ""), user)
            if clause is False:
                return False
            parts.append(clause)
        return both(*parts)

    async def decorate(self, rows: list[dict[str, Any]]) -> None:
        """Add what a row shows beyond its columns (the staff's site codes…)."""

    def cells(self, row: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A list row as the table shows it: text, link, status badge, in column order."""
        out = []
        for c in self.columns:
            value = row.get(c.key)
            cell: dict[str, Any] = {"label": self.label_of(c.key), "text": "", "href": ""}
            if c.show == "status":
                cell["status"] = bool(value)
            elif c.show == "choice":
                choices = self.field(c.key).choices
                cell["text"] = _(choices[str(value)]) if value in choices else (value or "")
            elif c.show == "number":
                cell["text"] = "" if value is None else f"{value:g}"
            elif c.show == "badge":  # (css class, text) from :meth:`decorate`
                cell["badge"], cell["text"] = value if value else ("", "")
            else:
                cell["text"] = "" if value is None else str(value)
            if c.show == "link":
                cell["href"] = f"/office/{self.slug}/{row['id']}"
            elif c.href:
                cell["href"] = c.href.format(**row)
            out.append(cell)
        return out

    # --- the export (server/refdata/exports.py) ----------------------------------------------

    def export_columns(self) -> tuple[tuple[str, str], ...]:
        """The export's columns, (row key, English label): the table's by default."""
        return tuple((c.key, self.label_of(c.key)) for c in self.columns)

    def export_selected(self) -> list[Any]:
        """The columns an exported row reads (the table's by default)."""
        return self.selected()

    async def export_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A batch of rows as the export shows them (key -> value): the table's texts."""
        await self.decorate(rows)
        out = []
        for r in rows:
            shown: dict[str, Any] = {}
            for c, cell in zip(self.columns, self.cells(r), strict=True):
                shown[c.key] = cell["text"] if "status" not in cell else (
                    _("Active") if cell["status"] else _("Deactivated"))
            out.append(shown)
        return out

    # --- one record --------------------------------------------------------------------------

    async def load(self, user: CurrentUser, record_id: str) -> dict[str, Any]:
        """The record with its joins, if ``user`` may see it; else :class:`NotFound`."""
        rid = require_id(record_id)
        row = await self.table.select(
            *self.table.all_columns(),
            *(self.column(path).as_alias(alias) for alias, path in self.joins),
        ).where(self.table._meta.primary_key == rid).first()
        if row is None or (self.site_column and not user.can_see_site(self.site_of(row))):
            raise NotFound(_("Not found."))
        return plain(row)

    def heading(self, row: Mapping[str, Any]) -> tuple[str, str]:
        """The detail page's title and its muted subtitle."""
        names = [str(row.get(self.db_column(n)) or "") for n in self.type.title]
        return (names[-1] if names else str(row["id"])), (names[0] if len(names) > 1 else "")

    def links(self, row: Mapping[str, Any], user: CurrentUser) -> list[Option]:
        """Links under the detail page's title: (label, href)."""
        return []

    async def detail(self, user: CurrentUser, row: Mapping[str, Any]) -> dict[str, Any]:
        """Extra context of the detail page (counts, related records)."""
        return {}

    def form_from_row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The edit form's values from the stored record."""
        out: dict[str, Any] = {}
        for i in self.inputs:
            if i.widget == "password":
                continue
            value = row.get(self.db_column(i.target)) if i.target else row.get(i.name)
            out[i.name] = "" if value is None else (
                f"{value:g}" if isinstance(value, float) else value)
        return out

    async def blank_form(self, user: CurrentUser, query: Mapping[str, str]) -> dict[str, Any]:
        """A new record's form: defaults, what the link prefilled (``?site=``), and the id
        the record will have (``_once``: a form sent twice — a double tap, a retry — makes
        one record)."""
        form = {i.name: query.get(i.name, i.default) for i in self.inputs
                if i.widget != "password"}
        form[ONCE] = str(uuid.uuid4())
        return form

    async def exists(self, record_id: str) -> bool:
        return bool(await self.table.exists().where(self.table._meta.primary_key == record_id))

    def clash(self) -> tuple[str, str]:
        """The form error when the database refused the write (a unique value taken by a
        save at the same moment): (input, message)."""
        return "form", _(CLASH)

    async def options(self, user: CurrentUser, row: Mapping[str, Any] | None
                      ) -> dict[str, Any]:
        """The choices of the form's select inputs: input name -> options (declared
        choices by default; reference pickers are the list's)."""
        out: dict[str, Any] = {}
        for i in self.inputs:
            f = self.type.by_field.get(i.target) if i.target else None
            if i.widget == "select" and f is not None and f.choices:
                out[i.name] = [(value, _(label)) for value, label in f.choices.items()]
        return out

    async def resolve(self, user: CurrentUser, form: Submission,
                      row: Mapping[str, Any] | None) -> None:
        """Lookups the form needs: references from what people type (a building and a unit
        number), uniqueness, what may not change. Adds values and errors to ``form``."""

    # --- writes ------------------------------------------------------------------------------

    async def write(self, user: CurrentUser, row: Mapping[str, Any] | None,
                    values: dict[str, Any], form: Submission) -> str:
        """Store a checked form; the record's id (default: the synced store; a new record
        takes the form's ``_once`` id)."""
        from server.refdata import store

        return await store.save(self, user, row, values, record_id=form.once)

    async def set_active(self, user: CurrentUser, row: Mapping[str, Any], active: bool
                         ) -> str | None:
        """Deactivate or reactivate; an error message when it may not be."""
        from server.refdata import store

        await store.set_active(self, user, row, active)
        return None

    async def after_write(self, user: CurrentUser, record_id: str) -> None:
        """After the commit (caches to forget)."""


def inputs_for(lst: RefList, creating: bool) -> Sequence[Input]:
    return [i for i in lst.inputs if i.when == "always" or (i.when == "create") == creating]

