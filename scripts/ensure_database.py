"""Create the database named in DATABASE_URL, with PostGIS in `public`, if missing.

On a fresh local PostgreSQL the role in DATABASE_URL does not exist yet: it is
created through the `postgres` system account (peer authentication), which only
works as root on the database machine, which is what `make run` expects.
"""

import os
import subprocess
import sys
from urllib.parse import unquote, urlparse

import psycopg
from psycopg import sql


def main():
    url = os.environ["DATABASE_URL"]
    parts = urlparse(url)
    dbname = parts.path.lstrip("/")
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    server_url = parts._replace(path="/postgres").geturl()
    try:
        psycopg.connect(server_url, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        if parts.hostname not in (None, "", "localhost", "127.0.0.1") or not user:
            sys.exit(f"Cannot reach PostgreSQL at {parts.hostname}: {exc}")
        print(f"Creating PostgreSQL role {user}")
        statement = f"CREATE ROLE \"{user}\" LOGIN SUPERUSER PASSWORD '{password}'"
        subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-q", "-c", statement], check=True)  # noqa: S603, S607 (fixed argv, local set-up)
    with psycopg.connect(server_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            print(f"Creating database {dbname}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    with psycopg.connect(url, autocommit=True) as conn:
        # PostGIS must live in public: every campaign schema finds `geometry` there.
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public")


if __name__ == "__main__":
    main()
