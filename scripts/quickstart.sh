#!/usr/bin/env bash
# Builds Veil and runs the quickstart end to end: an allowed call with a minimised answer, denied
# calls, a caller blocked by monitoring, and the audit log verified with `veil audit verify`.
source "$(dirname "$0")/lib.sh"
ensure_toolchain
cd "$veil_root"
echo "building (tests skipped; scripts/test.sh runs them)..."
mvn -B -ntp -q -Dstyle.color=never install -DskipTests -Djacoco.skip=true
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
audit="$work/audit.jsonl"
mvn -B -ntp -q -Dstyle.color=never -f examples/quickstart/pom.xml exec:java -Dexec.args="$audit"
echo
echo "verifying the audit log with the CLI:"
java -jar sdk/veil-cli/target/veil.jar audit verify "$audit"
echo
echo "and after changing who asked in the first record (alice -> mallory):"
sed -i '1s/"id":"alice"/"id":"mallory"/' "$audit"
if java -jar sdk/veil-cli/target/veil.jar audit verify "$audit"; then
  die "the edited audit log still verified"
fi
echo
echo "quickstart done."
