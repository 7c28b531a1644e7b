#!/usr/bin/env bash
# Runs before `npm test`: the browser check (test/integration/browser.test.ts) drives Debian's chromium.
# On a machine where we are root with apt (CI, this project's dev machines) it is installed if missing;
# elsewhere we say how, and fail — the browser test must never be skipped silently.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "pretest: installing Debian's chromium for the browser check…" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
  exit 0
fi
echo "pretest: /usr/bin/chromium is missing; install it (Debian/Ubuntu: sudo apt-get install chromium) and rerun." >&2
exit 1
