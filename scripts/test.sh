#!/usr/bin/env bash
# Runs every test of every module, from a fresh clone, with its own set-up.
source "$(dirname "$0")/lib.sh"
ensure_toolchain
cd "$veil_root"
exec mvn -B -ntp verify "$@"
