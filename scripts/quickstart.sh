#!/usr/bin/env bash
# Builds Veil and runs the quickstart end to end: an allowed call with a minimised answer, denied
# calls, a caller blocked by monitoring, and the audit log verified with `veil audit verify`.
source "$(dirname "$0")/lib.sh"
ensure_toolchain
cd "$veil_root"
echo "building (tests skipped; scripts/test.sh runs them)..."
mvn -B -ntp -q install -DskipTests -Djacoco.skip=true
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
audit="$work/audit.jsonl"
mvn -B -ntp -q -f examples/quickstart/pom.xml exec:java -Dexec.args="$audit"
echo
echo "verifying the audit log with the CLI:"
java -jar sdk/veil-cli/target/veil.jar audit verify "$audit"
echo
echo "and after editing one record:"
sed -i '3s/"allowed":true/"allowed":false/; 3s/"allowed":false/"allowed":true/' "$audit"
python3 - "$audit" <<'PY' 2>/dev/null || sed -i '2s/alice/mallory/' "$audit"
import sys
p = sys.argv[1]
lines = open(p).read().splitlines(True)
lines[1] = lines[1].replace("alice", "mallory", 1)
open(p, "w").write("".join(lines))
PY
if java -jar sdk/veil-cli/target/veil.jar audit verify "$audit"; then
  die "the edited audit log still verified"
fi
echo "quickstart done."
