#!/bin/sh
# Sets up a checkout: pnpm at the pinned version, then `pnpm install --frozen-lockfile`.
# Installs nothing globally, so it works with only Node and npm, with corepack enabled (where
# `npm install -g pnpm` fails with EEXIST), and as a user whose npm global prefix is not writable.
# pnpm comes from, in order: a pnpm on PATH that reports the pinned version (corepack's shim does,
# from package.json's packageManager), else a copy installed by npm into .tools/ in this checkout.
# With --test, the programs the tests run are installed where missing (valgrind, perf, gcc, chromium, redis-server; as root).
# Usage: sh scripts/setup.sh [--test]
set -eu
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p 'require("./package.json").packageManager.replace(/^pnpm@/, "")')
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0 # corepack fetches the pinned pnpm without asking

if [ "$(pnpm --version 2>/dev/null || true)" = "$PNPM_VERSION" ]; then
  PNPM=pnpm
else
  local_dir=".tools/pnpm-$PNPM_VERSION"
  PNPM="$PWD/$local_dir/node_modules/.bin/pnpm"
  if [ "$("$PNPM" --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
    echo "setup: installing pnpm $PNPM_VERSION into $local_dir" >&2
    npm install --prefix "$local_dir" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2
  fi
fi

if [ "${1:-}" = "--test" ]; then
  sh scripts/ensure-test-tools.sh
fi
"$PNPM" install --frozen-lockfile >&2
