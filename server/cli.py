"""The ``caretaker`` command: run, migrate, demo, createadmin, bench, bench-office."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Sequence

from server import db
from server.settings import Settings, SettingsError, load_settings


async def _migrate(settings: Settings) -> None:
    engine = db.make_engine(settings.database_url)
    await db.start(engine)
    try:
        await db.migrate(engine)
    finally:
        await db.stop(engine)


async def _demo(settings: Settings, only_if_empty: bool) -> dict[str, int] | None:
    from server.demo.loader import is_empty, load_demo
    from server.desk import cutoff
    from server.lib import timezone

    timezone.configure(settings.timezone)  # the demo's rounds are planned in the estate's zone
    cutoff.configure(settings.visitor_cutoff)  # its late visitors stay past the set hour
    engine = db.make_engine(settings.database_url)
    await db.start(engine)
    try:
        await db.migrate(engine)
        if only_if_empty and not await is_empty():
            return None
        if not await is_empty():
            raise SystemExit("caretaker demo: the database is not empty; "
                             "the demo estate loads only into an empty database.")
        return await load_demo()
    finally:
        await db.stop(engine)


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    asyncio.run(_migrate(settings))
    print("caretaker: database is up to date")
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    counts = asyncio.run(_demo(settings, only_if_empty=False))
    print("caretaker: demo estate loaded:", counts)
    _print_demo_signins()
    return 0


def _print_demo_signins() -> None:
    from server.demo.loader import DEMO_ACCOUNTS, DEMO_PASSWORD

    print(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for username, display, role, _sites in DEMO_ACCOUNTS:
        print(f"  {username:<8} {role:<11} {display}")


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    if settings.demo:
        counts = asyncio.run(_demo(settings, only_if_empty=True))
        if counts:
            print("caretaker: demo estate loaded:", counts)
    else:
        asyncio.run(_migrate(settings))
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104
    print(f"\nCaretaker is running at http://{shown}:{port}/  (Ctrl+C stops it)")
    if settings.demo:
        _print_demo_signins()
    sys.stdout.flush()
    uvicorn.run("server.asgi:app", host=host, port=port, workers=settings.workers,
                log_level=settings.log_level.lower(), proxy_headers=True)
    return 0


def cmd_createadmin(settings: Settings, args: argparse.Namespace) -> int:
    from server.accounts.staff_list import create_admin
    from server.lib.errors import ValidationFailed

    password = os.environ.get("CARETAKER_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    try:
        asyncio.run(_with_engine(settings, create_admin(
            args.username, args.name or args.username, password)))
    except ValidationFailed as e:
        details = e.detail if isinstance(e.detail, dict) else {"": e.message}
        for field, problem in details.items():
            print(f"caretaker createadmin: {field}: {problem}", file=sys.stderr)
        return 2
    print(f"caretaker: admin {args.username!r} created")
    return 0


async def _with_engine(settings: Settings, coro: object) -> object:
    engine = db.make_engine(settings.database_url)
    await db.start(engine)
    try:
        await db.migrate(engine)
        return await coro  # type: ignore[misc]
    finally:
        await db.stop(engine)


def cmd_bench(settings: Settings, args: argparse.Namespace) -> int:
    from server.bench import main as bench_main

    return bench_main(db=args.db, json_path=args.json, quick=args.quick)


def cmd_bench_office(settings: Settings, args: argparse.Namespace) -> int:
    from server.bench_office import main as bench_office_main

    return bench_office_main(db=args.db, records=args.records, json_path=args.json,
                             quick=args.quick)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="caretaker", description="Caretaker field log")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="apply migrations, load the demo if empty, serve")
    run.add_argument("--host", default=None)
    run.add_argument("--port", type=int, default=None)
    run.set_defaults(func=cmd_run)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("demo", help="load the demo estate into an empty database").set_defaults(
        func=cmd_demo)
    admin = sub.add_parser("createadmin", help="create an administrator account "
                           "(password from CARETAKER_ADMIN_PASSWORD or a prompt)")
    admin.add_argument("username")
    admin.add_argument("--name", default="")
    admin.set_defaults(func=cmd_createadmin)
    bench = sub.add_parser("bench", help="sync benchmarks (push, pull) with a baseline")
    bench.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    bench.add_argument("--json", default=None, help="write the figures to this JSON file")
    bench.add_argument("--quick", action="store_true", help="smaller sizes (for CI)")
    bench.set_defaults(func=cmd_bench)
    office = sub.add_parser("bench-office", help="office page timings against a year of "
                            "generated records")
    office.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    office.add_argument("--records", type=int, default=None,
                        help="records to generate (default 1,000,000; --quick: 50,000)")
    office.add_argument("--json", default=None, help="write the figures to this JSON file")
    office.add_argument("--quick", action="store_true", help="fewer records and runs")
    office.set_defaults(func=cmd_bench_office)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as e:
        print(f"caretaker: {e}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level)
    return int(args.func(settings, args))


if __name__ == "__main__":
    raise SystemExit(main())
