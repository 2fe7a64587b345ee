"""The PostgreSQL database a bench fills once and reuses (bench_queue, bench_duplicates)."""

import psycopg


def database_ready(url: str) -> bool:
    """Whether the server at `url` (postgres://user@host:port/name) answers; the database
    `name` is created when it is not there yet. False when the server cannot be reached:
    the bench then says so and skips."""
    base, _, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except psycopg.Error:
        return False
