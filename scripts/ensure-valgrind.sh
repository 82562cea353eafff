#!/bin/sh
# pghot record (and its tests) run programs under valgrind: install it where it is missing (Debian/Ubuntu, as root).
command -v valgrind >/dev/null 2>&1 && exit 0
echo "installing valgrind (pghot record needs it)" >&2
if [ "$(id -u)" -ne 0 ]; then echo "valgrind is missing: install it with your package manager (apt-get install valgrind)" >&2; exit 1; fi
apt-get update -qq && apt-get install -y -qq valgrind >/dev/null
