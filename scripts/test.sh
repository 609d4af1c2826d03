#!/usr/bin/env bash
# Runs every test of every module, from a fresh clone, with its own set-up.
source "$(dirname "$0")/lib.sh"
ensure_toolchain
# Real data for the shipped image-classifier policy's tests (they skip, saying so, without it).
ensure_packages dataset-fashion-mnist
cd "$veil_root"
exec mvn -B -ntp verify "$@"
