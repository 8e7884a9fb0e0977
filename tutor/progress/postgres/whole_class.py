"""Every student's record in a class's PostgreSQL database, read with an instructor's
role: read_database's counterpart for the report (tutor.report.sources).

One snapshot per student (the ``student`` column), all in one read-only transaction so
that the class is seen at one moment. Each is taken by the same _snapshot as a student's
export, with the instructor's rows narrowed to that student by the setting
STUDENT_SETTING (a restrictive policy of tutor.progress.postgres.schema): the SQL is the
store's, unchanged.
"""

from __future__ import annotations

from tutor.progress.postgres.connection import (
    PgConnection,
    first_line,
    psycopg_module,
    transaction,
)
from tutor.progress.postgres.schema import (
    INSTRUCTOR_ROLE,
    STUDENT_SETTING,
    TABLES,
    check_version,
)
from tutor.progress.records import ProgressError
from tutor.progress.snapshot_records import Snapshot
from tutor.progress.snapshots import _snapshot


def read_class(conninfo: str) -> list[Snapshot]:
    """Each student's record, by role name; ProgressError (one line) if the database
    cannot be read, or the role connected is not an instructor."""
    psycopg = psycopg_module()
    conn = PgConnection.connect(conninfo)
    try:
        with transaction(conn, write=False):
            check_version(conn)
            role, allowed = conn.raw.execute(
                "SELECT current_user, pg_has_role(current_user, %s, 'MEMBER')",
                (INSTRUCTOR_ROLE,)).fetchone()
            if not allowed:
                raise ProgressError(f"{role} is not an instructor (a member of "
                                    f"{INSTRUCTOR_ROLE}: chain-tutor db init --instructor "
                                    f"{role}), so it cannot read the class")
            everyone = " UNION ".join(f"SELECT student FROM {table}" for table in TABLES)
            students = [row[0] for row in conn.raw.execute(f"{everyone} ORDER BY 1")]
            snapshots = []
            for student in students:
                conn.raw.execute("SELECT set_config(%s, %s, true)", (STUDENT_SETTING, student))
                snapshots.append(_snapshot(conn, None, student))
            return snapshots
    except psycopg.Error as error:
        raise ProgressError(f"the class cannot be read: {first_line(error)}") from None
    except (ValueError, TypeError) as error:  # a diagnosis that is not JSON
        raise ProgressError(f"the database holds damaged records: {error}") from None
    finally:
        conn.close()
