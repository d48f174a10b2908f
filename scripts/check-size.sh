#!/usr/bin/env bash
# The size of an artifact the READMEs' one-line builds produce, against its
# budget: a debug library shipped by mistake (issue 23: a 105.6 MB jar) or a
# dependency that doubles the code fails the tests that call this.
#
#   scripts/check-size.sh KIND FILE
#
# KIND and budget (bytes on disk; the npm package has its own, gzip-based
# check: scripts/package-size.sh):
#   jar       the JVM jar (scripts/package-jvm.sh)             6,000,000
#   wheel     the Python wheel (scripts/package-python.sh)     2,200,000
#   c-shared  libxmpptls.so as installed (scripts/install-c.sh) 5,000,000
#   c-static  libxmpptls.a as installed                        30,000,000
# Prints "ok - KIND: SIZE bytes (budget BUDGET)" or "not ok - ..." and
# exits 1 over budget.
set -euo pipefail
kind="${1:?usage: $0 KIND FILE}"
file="${2:?usage: $0 KIND FILE}"
case "$kind" in
  jar) budget=6000000 ;;
  wheel) budget=2200000 ;;
  c-shared) budget=5000000 ;;
  c-static) budget=30000000 ;;
  *) echo "unknown kind $kind" >&2; exit 2 ;;
esac
size=$(stat -L -c %s "$file")
if [ "$size" -le "$budget" ]; then
  echo "ok - $kind $(basename "$file"): $size bytes (budget $budget)"
else
  echo "not ok - $kind $(basename "$file"): $size bytes, over the budget of $budget"
  exit 1
fi
