#!/bin/bash
# Self-test of the runner against a PostgreSQL server: runner.test (CRLF line
# endings on purpose) has 13 records, of which exactly lines 38 (label
# mismatch), 44 (nosort order), 63 (rows where none expected), 71 (timeout) and
# 88 (column count) must fail, and a mutated copy of select1.test must fail
# exactly at its two mutated records (one hash, one plain value).
#   selftest/run.sh "host=127.0.0.1 port=PORT user=postgres dbname=postgres"
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dsn=${1:?usage: selftest/run.sh ADMIN_DSN}
out=$(/usr/bin/python3 "$here/../run.py" --target postgres --dsn "$dsn" --timeout-s 1 -v --files "$here/runner.test")
echo "$out"
got=$(echo "$out" | sed -n 's/^  .*:\([0-9]*\): .*/\1/p' | tr '\n' ' ')
[ "$got" = "38 44 63 71 88 " ] || { echo "selftest FAILED: failing lines '$got'"; exit 1; }
echo "$out" | grep -q ': 8/13 records' || { echo "selftest FAILED: pass count"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$here/../../../../shared/sqllogictest/test/select1.test" "$tmp/mut.test" <<'PY'
import sys
src = open(sys.argv[1]).read().split('\n'); out = list(src)
h = v = False
for i, l in enumerate(src):
    if not h and 'values hashing to' in l:
        out[i] = l[:-1] + ('0' if l[-1] != '0' else '1'); h = True
    if not v and l == '----' and 'hashing' not in src[i + 1] and src[i + 1].strip():
        out[i + 1] = src[i + 1] + '9'; v = True
open(sys.argv[2], 'w').write('\n'.join(out))
PY
out=$(/usr/bin/python3 "$here/../run.py" --target postgres --dsn "$dsn" -v --files "$tmp/mut.test")
echo "$out"
echo "$out" | grep -q ': 1029/1031 records' || { echo "selftest FAILED: mutated select1"; exit 1; }
echo "selftest OK"
