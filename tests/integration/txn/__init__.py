"""Transaction test suites that run against any PostgreSQL-wire server.

Written by hand for the transactions issue (issue 4), before transactions exist in Phantom Zero,
so that the suites are proven against PostgreSQL 15 first and can be pointed at Phantom Zero the
day they land. Modules:

  session.py     one client session on its own connection and worker thread; statement outcomes
                 (rows, count, status, SQLSTATE, "blocked") and the blocked-statement detector
  script.py      scripted interleavings of 2-3 sessions with expected outcomes per isolation level
                 written as data, and the rule that judges a target against PostgreSQL's outcome
  anomalies.py   the Hermitage-style isolation anomaly cases (G0 ... G2)
  locks.py       deadlock, lock_timeout, statement_timeout, FOR UPDATE/SHARE, savepoint cases
  bank.py        the bank workload (transfers and full-balance reads, retries on 40001/40P01)
  listappend.py  the list-append workload that records a history for elle.py
  elle.py        the history checker (version orders, dependency graph, cycles)
  targets.py     PostgreSQL 15, Phantom Zero or any DSN, with or without the lock-wait probe
  run.py         the command-line entry point that prints expected-vs-got tables

Only the standard library and Debian's psycopg2: run with /usr/bin/python3.
"""
