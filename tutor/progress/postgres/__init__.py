"""A class's progress in PostgreSQL: the same store as the SQLite one, for a site where
students log in on several machines (or in a browser) and the instructor reads the whole
class from one place. Chosen by $CHAIN_TUTOR_DATABASE or --database (a libpq connection
string or postgresql:// URI); psycopg 3 is the optional extra ``chain-tutor[postgres]``.

* connection — the psycopg connection that runs the store's SQL unchanged
* schema — tables, row-level security, roles, grants, migrations (``chain-tutor db``)
* store — PostgresStore, a ProgressStore whose rows are the connected role's
* whole_class — every student's record, read with an instructor's role (the report)
"""
