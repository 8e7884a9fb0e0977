"""`chain-tutor db init` and `db upgrade`: an administrator sets up or migrates a class's
PostgreSQL database (tutor.progress.postgres.schema holds what they make)."""

from __future__ import annotations

import sys

from tutor.exits import EXIT_INVALID


def cmd_db(args) -> int:
    from tutor.progress.opening import DATABASE_ENV, chosen_database
    from tutor.progress.postgres.connection import PgConnection, first_line, psycopg_module
    from tutor.progress.records import ProgressError

    conninfo = chosen_database(args.database)
    if conninfo is None:
        return _refuse(f"db {args.db_action} needs a database: --database CONNINFO or "
                       f"{DATABASE_ENV}")
    try:
        psycopg = psycopg_module()
        conn = PgConnection.connect(conninfo)
    except ProgressError as error:
        return _refuse(str(error))
    try:
        if args.db_action == "init":
            return _init(conn, tuple(args.student), tuple(args.instructor))
        return _upgrade(conn)
    except ProgressError as error:
        return _refuse(str(error))
    except psycopg.Error as error:
        return _refuse(f"db {args.db_action} failed, nothing was changed: {first_line(error)}")
    finally:
        conn.close()


def _refuse(message: str) -> int:
    print(f"chain-tutor: {message}", file=sys.stderr)
    return EXIT_INVALID


def _versions(start: int, end: int) -> str:
    if start == end:
        return f"the tables were at schema {end} already"
    if start == 0:
        return f"made the tables (schema {end})"
    return f"migrated the tables from schema {start} to {end}"


def _init(conn, students: tuple[str, ...], instructors: tuple[str, ...]) -> int:
    from tutor.progress.postgres.schema import (
        INSTRUCTOR_ROLE,
        STUDENT_ROLE,
        TABLES,
        init_database,
    )

    start, end = init_database(conn, students, instructors)
    database = conn.raw.info.dbname
    print(f"{database}: {_versions(start, end)}; roles {STUDENT_ROLE} and {INSTRUCTOR_ROLE}, "
          f"row-level security on its {len(TABLES)} tables.")
    for group, roles in ((STUDENT_ROLE, students), (INSTRUCTOR_ROLE, instructors)):
        if roles:
            print(f"{group}: granted to {', '.join(roles)}.")
    return 0


def _upgrade(conn) -> int:
    from tutor.progress.postgres.schema import schema_version, upgrade

    if schema_version(conn) is None:
        return _refuse(f"{conn.raw.info.dbname} has no chain-tutor tables: run chain-tutor "
                       "db init first")
    start, end = upgrade(conn)
    print(f"{conn.raw.info.dbname}: {_versions(start, end)}.")
    return 0
