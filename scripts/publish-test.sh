#!/usr/bin/env bash
# The packages as users get them: starts a real npm registry (verdaccio) on 127.0.0.1, publishes every
# package to it with the project's release flow (changeset version, changeset publish: pnpm publish,
# whose prepack builds), publishes examples/custom-source as a third-party plugin would be, then in a
# new directory outside the monorepo installs @pghot/cli, the plugin and @pghot/testkit from it and runs
# `npx pghot run`, a YAML and a TypeScript config that load the plugin, and a testkit test.
# The registry runs from a temporary folder and is stopped on every exit path.
# Prints "publish-test: N passed, N failed".
set -uo pipefail
VERDACCIO_VERSION=6.8.0 # 6.9+ needs Node 22
top=$(cd "$(dirname "$0")/.." && git rev-parse --show-toplevel)
work=$(mktemp -d)
registry_pid=""
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
passed=0
failed=0
log="$work/log"
# check NAME COMMAND...: one counted step; its output goes to the log, shown when it fails.
check() {
  local name=$1
  shift
  if "$@" >> "$log" 2>&1; then
    echo "publish-test: ok   $name"
    passed=$((passed + 1))
  else
    echo "publish-test: FAIL $name (log follows)"
    tail -n 40 "$log"
    failed=$((failed + 1))
  fi
  : > "$log"
}
finish() {
  echo "publish-test: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

# The registry: loopback, a free port, temporary storage; @pghot/* and pghot-plugin-* only from what is
# published here, everything else through to the registry npm is set up to use.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
registry="http://127.0.0.1:$port/"
upstream=$(npm config get registry)
mkdir -p "$work/verdaccio"
cat > "$work/verdaccio/config.yaml" <<YAML
storage: $work/verdaccio/storage
auth:
  htpasswd:
    file: $work/verdaccio/htpasswd
    max_users: 10
uplinks:
  upstream:
    url: $upstream
packages:
  '@pghot/*':
    access: \$all
    publish: \$authenticated
  'pghot-plugin-*':
    access: \$all
    publish: \$authenticated
  '**':
    access: \$all
    proxy: upstream
log: { type: stdout, format: pretty, level: warn }
YAML
start_registry() {
  npm install --prefix "$work/verdaccio" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "verdaccio@$VERDACCIO_VERSION" || return 1
  "$work/verdaccio/node_modules/.bin/verdaccio" --config "$work/verdaccio/config.yaml" --listen "127.0.0.1:$port" > "$work/verdaccio.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 100); do
    node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "${registry}-/ping" && return 0
    kill -0 "$registry_pid" 2>/dev/null || { cat "$work/verdaccio.log"; return 1; }
    sleep 0.2
  done
  return 1
}
check "verdaccio $VERDACCIO_VERSION on 127.0.0.1:$port" start_registry
[ "$failed" -eq 0 ] || finish

# A publisher account; its token goes into an npmrc used only by these commands.
token=$(node -e '
  fetch(process.argv[1], { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "release", password: "release-password" }) })
    .then((r) => r.json()).then((j) => console.log(j.token));' "${registry}-/user/org.couchdb.user:release")
printf 'registry=%s\n//127.0.0.1:%s/:_authToken=%s\n' "$registry" "$port" "$token" > "$work/npmrc"
with_registry() { env npm_config_userconfig="$work/npmrc" npm_config_registry="$registry" "$@"; }

# The release flow, in a clone so that version bumps and changelogs stay out of the checkout.
git clone -q "$top" "$work/release"
cd "$work/release" || exit 1
check "setup of the release clone" sh scripts/setup.sh
PATH="$work/release/.tools/pnpm-$(node -p 'require("./package.json").packageManager.replace(/^pnpm@/, "")')/node_modules/.bin:$PATH"
check "pnpm version-packages (changeset version: versions and CHANGELOG.md)" pnpm version-packages
check "changeset publish to the registry" with_registry pnpm exec changeset publish
published() {
  for dir in packages/*; do
    local name version
    name=$(node -p "require('./$dir/package.json').name")
    version=$(node -p "require('./$dir/package.json').version")
    with_registry npm view "$name@$version" dist.tarball | grep -q "127.0.0.1:$port" || { echo "$name@$version is not in the registry"; return 1; }
    [ -f "$dir/CHANGELOG.md" ] || { echo "$dir has no CHANGELOG.md"; return 1; }
  done
}
check "every package is in the registry at its new version, with a changelog" published
core_version=$(node -p "require('./packages/core/package.json').version")
# The example plugin, published as its author would: its own build (prepack), not private.
publish_plugin() {
  cd examples/custom-source || return 1
  node -e 'const f = "package.json", p = JSON.parse(require("fs").readFileSync(f, "utf8")); delete p.private; p.version = "1.0.0"; require("fs").writeFileSync(f, JSON.stringify(p, null, 2))'
  with_registry pnpm publish --no-git-checks
}
check "a third-party plugin (examples/custom-source) published" publish_plugin

# A user's project, outside the monorepo, with nothing but the registry.
user="$work/user"
mkdir -p "$user"
cd "$user" || exit 1
echo '{ "name": "pghot-user", "private": true, "type": "module" }' > package.json
check "npm install @pghot/cli, the plugin and @pghot/testkit from the registry" \
  with_registry npm install --no-audit --no-fund @pghot/cli @pghot/core pghot-plugin-csv-source @pghot/testkit
check "installed @pghot/core is the published $core_version" test "$(node -p 'require("@pghot/core/package.json").version')" = "$core_version"
shipped() {
  for dir in node_modules/@pghot/*; do
    for f in LICENSE README.md CHANGELOG.md dist; do [ -e "$dir/$f" ] || { echo "$dir has no $f"; return 1; }; done
    if grep -q '"@pghot/source"' "$dir/package.json"; then echo "$dir/package.json names the @pghot/source condition"; return 1; fi
  done
  test -f node_modules/@pghot/core/pghot.config.schema.json
}
check "installed packages ship LICENSE, README, CHANGELOG and dist, without the source condition" shipped

json_is() { # json_is FILE EXPRESSION: the JSON document in FILE satisfies the expression over `r`
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); if (!('"$2"')) { console.error(JSON.stringify(r).slice(0, 400)); process.exit(1); }' "$1"
}
run_default() { npx pghot run --format json > run.json && json_is run.json 'r.schemaVersion === 1 && r.workload.name === "gups-hotset" && r.promotions.pages > 0'; }
check "npx pghot run" run_default

# 4 accesses to two CXL pages (the dram+cxl machine's lower tier starts at PFN 32768)
printf 'time_ms,pfn,nid\n0,32768,0\n5,32768,0\n5,32769,0\n250,32769,0\n' > accesses.csv
cat > pghot.yaml <<'YAML'
# yaml-language-server: $schema=./node_modules/@pghot/core/pghot.config.schema.json
plugins:
  - [csv-source, { file: accesses.csv }]
YAML
run_yaml() { npx pghot run --config pghot.yaml --format json > yaml.json && json_is yaml.json 'r.vmstat.pghot_recorded_csv === 4 && r.mode === "default"'; }
check "a YAML config loads the published plugin by name" run_yaml
cat > pghot.config.ts <<'TS'
import { defineConfig } from '@pghot/core/config';
import csvSource from 'pghot-plugin-csv-source';

export default defineConfig({ mode: 'precision', plugins: [csvSource({ file: 'accesses.csv' })] });
TS
run_ts() { npx pghot run --config pghot.config.ts --format json > ts.json && json_is ts.json 'r.vmstat.pghot_recorded_csv === 4 && r.mode === "precision"'; }
check "a TypeScript config imports the published plugin" run_ts
# a YAML config naming a local .ts plugin file: loaded as TS configs are (jiti under plain Node)
cat > threshold.ts <<'TS'
interface Options { at: number }
export default (options: Options) => ({
  name: 'policy-local-threshold',
  kind: 'policy' as const,
  apply(engine: { tunables: { set(name: string, value: number): void } }) {
    engine.tunables.set('freq_threshold', options.at);
  },
});
TS
printf 'plugins:\n  - [csv-source, { file: accesses.csv }]\n  - [./threshold.ts, { at: 1 }]\n' > local.yaml
run_local_ts() { npx pghot run --config local.yaml --format json > local.json && json_is local.json 'r.tunables.freq_threshold === 1 && r.plugins.includes("policy-local-threshold")'; }
check "a YAML config loads a local .ts plugin file" run_local_ts
cat > csv.test.mjs <<'JS'
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { createTestEngine, CXL_START } from '@pghot/testkit';
import csvSource from 'pghot-plugin-csv-source';

test('the published plugin on the published testkit', async () => {
  writeFileSync('t.csv', `time_ms,pfn\n0,${CXL_START}\n5,${CXL_START}\n`);
  const { engine, clock, backend } = await createTestEngine({ plugins: [csvSource({ file: 't.csv' })] });
  await clock.advance(300);
  assert.equal(engine.vmstat().pghot_recorded_csv, 2);
  assert.equal(backend.promotedPages, 1);
});
JS
check "a @pghot/testkit test (node --test)" node --test csv.test.mjs
finish
