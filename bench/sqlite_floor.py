#!/usr/bin/env python3
"""The cost of the SQL behind PATCH /keys/{id}/limit in SQLite itself, without the console: how many microseconds
one change takes when changes are written in groups of 12 (the group size the server reaches under the benchmark's
32 connections), with and without the locking read and the audit row. See bench/README.md.

    bench/sqlite_floor.py DATABASE.sqlite   (a database filled by `aether-console --prepare --demo --demo-keys 10000`)
"""
import sqlite3
import sys
import time

GROUP, ROUNDS = 12, 2000


def measure(db, ids, select, update, audit):
    n, changes = 0, 0
    start = time.perf_counter()
    for _ in range(ROUNDS):
        group = [ids[(n + i) % len(ids)] for i in range(GROUP)]
        n += GROUP
        limit = 7 + (n // len(ids)) % 2  # a real change on every pass
        now = '2026-11-26T15:00:00.123456+00:00'
        db.execute('BEGIN IMMEDIATE')
        if select:
            db.execute('SELECT id, max_concurrent, learned_max_concurrent FROM provider_api_keys WHERE id IN (%s)'
                       % ','.join('?' * GROUP), group).fetchall()
        if update:
            db.executemany('UPDATE provider_api_keys SET max_concurrent = ?, updated_at = ? WHERE id = ?',
                           [(limit, now, key) for key in group])
        if audit:
            db.execute('INSERT INTO console_audit_log (at, actor, action, key_id, detail) VALUES '
                       + ','.join(['(?, ?, ?, ?, ?)'] * GROUP),
                       [v for key in group
                        for v in (now, 'token:bench', 'set_limit', key, '{"old_max_concurrent":7,"new_max_concurrent":8}')])
        db.execute('COMMIT')
        changes += GROUP
    return (time.perf_counter() - start) / changes * 1e6


def main():
    db = sqlite3.connect(sys.argv[1], isolation_level=None)
    db.execute('PRAGMA journal_mode=WAL')
    db.execute('PRAGMA synchronous=NORMAL')
    ids = [row[0] for row in db.execute('SELECT id FROM provider_api_keys LIMIT 1000')]
    for label, flags in [('locking read + update + audit row (what the console does)', (True, True, True)),
                         ('update + audit row', (False, True, True)),
                         ('locking read + update', (True, True, False)),
                         ('update only', (False, True, False))]:
        print(f'{label}: {measure(db, ids, *flags):.1f} us per change')


if __name__ == '__main__':
    main()
