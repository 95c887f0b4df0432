#!/usr/bin/env python3
"""Fills a console database with many keys fast (bench/README.md: a million keys in well under a minute).

    bench/fill.py DATABASE_URL KEYS [--adaptive] [--console PATH]

The console prepares the database and adds 1,000 demo keys with their stories (providers, endpoints, histories,
time series); the rest are made by one INSERT … SELECT in the database itself, with deterministic, varied values
(modes, limits, 429 counts and times, short histories, inactive keys). The key table's indexes and the name search's
triggers are dropped for the insert and made again afterwards (as a restore would), so a million rows are sorted once
per index instead of inserted one by one into each. SQLite through Python's sqlite3, PostgreSQL through psql."""
import argparse
import os
import sqlite3
import subprocess
import sys
import time
import urllib.parse

DEMO = 1000


def key_select(pg, first, last, adaptive=False):
    # h: a scrambled number per key, so that neighbouring keys differ; everything below derives from it.
    if pg:
        series = f"SELECT i, (i::bigint * 2654435761) % 4294967296 AS h FROM generate_series({first}, {last}) AS i"
        hexf = "lpad(to_hex(({0})::bigint), {1}, '0')"
        ident = ("{0}||'-'||{1}||'-4'||{2}||'-a'||{3}||'-'||{4}").format(
            hexf.format("h", 8), hexf.format("(h / 128) % 65536", 4), hexf.format("i % 4096", 3),
            hexf.format("(h / 8) % 4096", 3), hexf.format("i", 12))
        now = "now()"
        ago = "now() - ((h % 604800) * interval '1 second')"
        cat = "||"
        boolean = "(h % 100) >= 8"
    else:
        series = (f"WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n WHERE i < {last}) "
                  "SELECT i, (i * 2654435761) % 4294967296 AS h FROM n")
        ident = "printf('%08x-%04x-4%03x-a%03x-%012x', h, (h / 128) % 65536, i % 4096, (h / 8) % 4096, i)"
        now = "strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')"
        ago = "strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now', '-' || (h % 604800) || ' seconds')"
        cat = "||"
        boolean = "CASE WHEN (h % 100) >= 8 THEN 1 ELSE 0 END"
    fixed = "1 = 0" if adaptive else "(h / 100) % 100 < 30"
    stems = ["prod", "batch", "eval", "backup", "team-a", "team-b", "research", "staging"]
    stem = "CASE (i / 5) % 8 " + " ".join(f"WHEN {n} THEN '{s}'" for n, s in enumerate(stems)) + " END"
    prov = "CASE i % 5 WHEN 0 THEN 'anthropic' WHEN 1 THEN 'anthropic' WHEN 2 THEN 'openai' WHEN 3 THEN 'openai' " \
           "ELSE 'gemini' END"
    c429 = "CASE WHEN (h / 7) % 100 < 35 THEN (h / 11) % 40 ELSE 0 END"
    r429 = "CASE WHEN (h / 13) % 100 < 15 THEN (h / 17) % 12 ELSE 0 END"
    learned = "CASE WHEN (h / 19) % 100 < 65 THEN 3 + (h / 23) % 58 END"
    last_at = f"CASE WHEN {c429} + {r429} > 0 THEN {ago} END"
    last_type = f"CASE WHEN {c429} > 0 THEN 'concurrent' WHEN {r429} > 0 THEN 'rpm' END"
    record = ("'{\"timestamp\":\"2026-11-30T10:00:00+00:00\",\"old_limit\":50,\"new_limit\":42,"
              "\"reason\":\"concurrent_429\",\"current_concurrent\":50}'")
    history = (f"CASE (h / 29) % 4 WHEN 0 THEN '[]' WHEN 1 THEN '[' {cat} {record} {cat} ']' "
               f"WHEN 2 THEN '[' {cat} {record} {cat} ',' {cat} {record} {cat} ']' "
               f"ELSE '[' {cat} {record} {cat} ',' {cat} {record} {cat} ',' {cat} {record} {cat} ']' END")
    json = "::json" if pg else ""
    return (f"INSERT INTO provider_api_keys (id, endpoint_id, name, max_concurrent, learned_max_concurrent, "
            f"concurrent_429_count, rpm_429_count, last_429_at, last_429_type, adjustment_history, "
            f"utilization_samples, is_active, created_at, updated_at) "
            f"SELECT {ident}, ep.id, "
            f"{prov} {cat} '-' {cat} {stem} {cat} '-' {cat} {'lpad(i::text, 7, chr(48))' if pg else 'printf(%s, i)' % repr('%07d')}, "
            f"CASE WHEN {fixed} THEN 5 * (1 + (h / 31) % 12) END, {learned}, {c429}, {r429}, {last_at}, {last_type}, "
            f"({history}){json}, '[]'{json}, {boolean}, {now}, {now} FROM ({series}) AS s "
            f"JOIN (SELECT id, row_number() OVER (ORDER BY api_format) - 1 AS n FROM provider_endpoints) AS ep "
            f"ON ep.n = s.i % 5")


def step(what, started=[None]):
    # The time of each step of the fill, on standard error.
    now = time.monotonic()
    if started[0] is not None:
        print(f"  {what}: {now - started[0]:.1f} s", file=sys.stderr)
    started[0] = now


def fill_sqlite(path, keys, adaptive):
    step(None)
    db = sqlite3.connect(path, isolation_level=None)
    # One bulk transaction into a database nobody else uses yet: no journal, no syncing, sorts in memory; the console's
    # WAL mode is set again at the end.
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA temp_store=MEMORY")
    # A 64 MB cache: the index builds sort in pieces of that size (~30 % faster than in one 1 GB piece here) and the
    # dirty pages go out as they are made instead of all at the commit.
    db.execute("PRAGMA cache_size=-65536")
    db.execute("BEGIN IMMEDIATE")
    dropped = db.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'provider_api_keys' AND "
                         "sql IS NOT NULL AND (type = 'index' OR (type = 'trigger' AND name LIKE 'console_key_search%'))").fetchall()
    for kind, name, _ in dropped:
        db.execute(f"DROP {kind.upper()} {name}")
    db.execute(key_select(False, DEMO, keys - 1, adaptive))
    if adaptive:
        db.execute("UPDATE provider_api_keys SET max_concurrent = NULL WHERE max_concurrent IS NOT NULL")
    step("rows")
    if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'console_key_search'").fetchone():
        db.execute("INSERT INTO console_key_search (console_key_search) VALUES ('rebuild')")
    step("name search")
    for _, _, sql in dropped:
        db.execute(sql)
    step(f"{len(dropped)} indexes and triggers")
    db.execute("COMMIT")
    # Statistics from a sample of each index (as PRAGMA optimize gathers them), not from every row of every index.
    db.execute("PRAGMA analysis_limit=1000")
    db.execute("ANALYZE")
    db.execute("PRAGMA journal_mode=WAL")
    step("commit and statistics")
    db.close()


def fill_postgres(url, keys, adaptive):
    parts = urllib.parse.urlparse(url)
    query = urllib.parse.parse_qs(parts.query)
    env = dict(os.environ)
    args = ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-U", parts.username or "postgres",
            "-d", parts.path.lstrip("/") or "postgres"]
    host = parts.hostname or (query.get("host") or [None])[0]
    if host:
        args += ["-h", host]
    if parts.port:
        args += ["-p", str(parts.port)]
    if parts.password:
        env["PGPASSWORD"] = parts.password
    script = f"""
BEGIN;
CREATE TEMP TABLE dropped AS SELECT indexname, indexdef FROM pg_indexes
  WHERE tablename = 'provider_api_keys' AND schemaname = current_schema() AND indexname NOT LIKE '%pkey';
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT indexname FROM dropped LOOP EXECUTE 'DROP INDEX ' || quote_ident(r.indexname); END LOOP; END $$;
{key_select(True, DEMO, keys - 1, adaptive)};
{"UPDATE provider_api_keys SET max_concurrent = NULL WHERE max_concurrent IS NOT NULL;" if adaptive else ""}
SET LOCAL maintenance_work_mem = '512MB';
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT indexdef FROM dropped LOOP EXECUTE r.indexdef; END LOOP; END $$;
COMMIT;
VACUUM ANALYZE provider_api_keys;
"""
    subprocess.run(args, input=script, text=True, env=env, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("keys", type=int)
    parser.add_argument("--adaptive", action="store_true", help="every key in adaptive mode")
    parser.add_argument("--console", default=os.path.join(os.path.dirname(__file__), "..", "build", "src", "app",
                                                          "aether-console"))
    options = parser.parse_args()
    if options.keys < DEMO:
        sys.exit(f"at least {DEMO} keys")
    started = time.monotonic()
    subprocess.run([options.console, "--database", options.url, "--prepare", "--demo", "--demo-keys", str(DEMO)],
                   check=True, stdout=subprocess.DEVNULL)
    if options.url.startswith("postgres"):
        fill_postgres(options.url, options.keys, options.adaptive)
    else:
        fill_sqlite(urllib.parse.urlparse(options.url).path, options.keys, options.adaptive)
    print(f"{options.keys} keys in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
