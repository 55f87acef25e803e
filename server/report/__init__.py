"""The office's monthly report per site for the owners' committee (業委會): the figures of
every domain over one estate-local calendar month, with charts, as a printable page and a
PDF (server/report/queries.py lists the sections)."""
