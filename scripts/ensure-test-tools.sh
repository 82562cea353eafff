#!/bin/sh
# The programs the tests run, installed where missing (Debian/Ubuntu, as root): valgrind for
# `pghot record`, perf (Debian's linux-perf) and gcc for the `pghot live` tests on the real kernel,
# chromium for the HTML report's browser test (driven by playwright-core), redis-server for the
# distributed sweep's test (`pghot sweep --queue`, `pghot worker`).
# As another user a missing program is reported, and the tests that need it say they are skipped
# (CI runs as root and runs them all).
missing=""
command -v valgrind >/dev/null 2>&1 || missing="$missing valgrind"
command -v perf >/dev/null 2>&1 || missing="$missing linux-perf"
command -v gcc >/dev/null 2>&1 || missing="$missing gcc"
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$missing chromium"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: not root, so not installing:$missing (apt-get install$missing); the tests that need it are skipped" >&2
  exit 0
fi
echo "setup: installing$missing for the tests" >&2
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
