#!/usr/bin/env bash
# Runs every test of every module, from a fresh clone, with its own set-up.
source "$(dirname "$0")/lib.sh"
ensure_toolchain
# Real data for the shipped image-classifier policy's tests, the redis-server binary that the
# veil-redis tests start (and stop) on free loopback ports, and openssl, which writes the certificates
# of its TLS tests; without them those tests skip, saying so.
ensure_packages dataset-fashion-mnist redis-server openssl
cd "$veil_root"
exec mvn -B -ntp verify "$@"
