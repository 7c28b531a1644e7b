#!/usr/bin/env bash
# Runs before `npm test` and `npm run bench`: the PgBouncer tests (test/integration/pgbouncer.test.ts, test/outages/pgbouncer-restart.test.ts) and the benchmark's S2-on-a-cluster phase
# start a private PgBouncer (Debian's package, 1.18+) in transaction pooling mode. As root with apt (CI,
# this project's dev machines) it is installed if missing; elsewhere we say how, and fail — those tests
# must never be skipped silently.
set -euo pipefail
command -v pgbouncer >/dev/null && exit 0
[ -x /usr/sbin/pgbouncer ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "pretest: installing Debian's pgbouncer for the transaction-pooling tests…" >&2
  # The package's own service stays off: tests start private instances on free ports.
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer) >&2
  exit 0
fi
echo "pretest: pgbouncer is missing; install it (Debian/Ubuntu: sudo apt-get install pgbouncer) and rerun." >&2
exit 1
