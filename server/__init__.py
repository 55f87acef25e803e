"""Caretaker server: Litestar app, Piccolo tables, office pages and the sync API."""
