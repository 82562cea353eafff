#!/usr/bin/env bash
# Checks that the README's set-up works on the machines users have, each in a fresh clone of HEAD
# with a throw-away HOME and npm prefix:
#   1. only Node and npm (no pnpm on PATH);
#   2. corepack enabled (its pnpm shim on PATH, so `npm install -g pnpm` fails with EEXIST);
#   3. a non-root user whose npm global prefix is not writable (EACCES), when run as root.
# Each case runs `sh scripts/setup.sh`, then the main command (`npm run -s pghot -- config print`,
# quick) and the test command on one small project. Prints "setup-check: N passed, N failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && git rev-parse --show-toplevel)
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

# A PATH with every program of the system's bin folders but pnpm and corepack's shims.
plain="$work/plain-bin"
mkdir -p "$plain"
for dir in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  [ -d "$dir" ] || continue
  for f in "$dir"/*; do
    name=$(basename "$f")
    case "$name" in pnpm | pnpx | yarn | yarnpkg) continue ;; esac
    [ -e "$plain/$name" ] || ln -s "$f" "$plain/$name"
  done
done

clean=$(env | sed -n 's/^\(npm_[^=]*\|PNPM_[^=]*\|COREPACK_[^=]*\)=.*/-u \1/p' | tr '\n' ' ')

# run_case NAME USER PATH PREFIX PNPM_FROM: clone, set up, check where pnpm came from (path: the one
# on PATH; tools: setup's copy in .tools/; any), run the main command and the test command.
run_case() {
  local name=$1 user=$2 path=$3 prefix=$4 from=$5 dir="$work/$1"
  shift 5 # the rest: extra VAR=value settings
  mkdir -p "$dir/home"
  git clone -q "$top" "$dir/pghot"
  [ "$user" = root ] || chown -R "$user" "$dir"
  local script="
    set -e
    cd '$dir/pghot'
    sh scripts/setup.sh
    case '$from' in tools) test -x .tools/pnpm-*/node_modules/.bin/pnpm ;; path) test ! -e .tools ;; esac
    npm run -s pghot -- config print > '$dir/config.json'
    node -e 'const c = JSON.parse(require(\"fs\").readFileSync(process.argv[1], \"utf8\")); if (c.tunables.freq_threshold !== 2) process.exit(1)' '$dir/config.json'
    npm test -- --project testkit
  "
  local as=()
  [ "$user" = root ] || as=(setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups)
  # the machine's environment (proxy, CA certificates) stays; npm and pnpm settings of a calling script go
  if "${as[@]}" env $clean PATH="$path" HOME="$dir/home" npm_config_prefix="$prefix" CI=true "$@" sh -c "$script" > "$dir/log" 2>&1; then
    echo "setup-check: ok   $name ($SECONDS s)"
    passed=$((passed + 1))
  else
    echo "setup-check: FAIL $name (log follows)"
    tail -n 30 "$dir/log"
    failed=$((failed + 1))
  fi
}

# 1. Node and npm only.
mkdir -p "$work/prefix-plain" tools
run_case node-and-npm-only "$(id -un)" "$plain" "$work/prefix-plain" tools

# 2. corepack enabled: its shims in the npm prefix's bin, where `npm install -g pnpm` collides.
prefix="$work/prefix-corepack"
mkdir -p "$prefix/bin"
corepack enable --install-directory "$prefix/bin" pnpm
collision=$(env $clean PATH="$prefix/bin:$plain" HOME="$work/corepack-home" npm_config_prefix="$prefix" npm install -g --no-audit --no-fund pnpm 2>&1)
if [[ "$collision" == *EEXIST* ]]; then
  # This machine's registry mirror serves no signatures, so corepack refuses its download and setup
  # falls back to its own copy; with the check turned off corepack's pnpm is the one used.
  run_case corepack-enabled "$(id -un)" "$prefix/bin:$plain" "$prefix" any
  run_case corepack-enabled-signature-check-off "$(id -un)" "$prefix/bin:$plain" "$prefix" path COREPACK_INTEGRITY_KEYS=0
else
  echo "setup-check: FAIL corepack-enabled (npm install -g pnpm did not collide with corepack's shim: not the case under test)"
  failed=$((failed + 1))
fi

# 3. Not root, npm's global prefix not writable (the system's, owned by root).
if [ "$(id -u)" -eq 0 ]; then
  run_case non-root-readonly-prefix nobody "$plain" "$(npm config get prefix)" tools
else
  echo "setup-check: skip non-root-readonly-prefix (this check runs as root to switch to another user)"
fi

echo "setup-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
