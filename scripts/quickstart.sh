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
echo "the same image-classifier policy written in Rego, run by Veil's own Rego engine (no opa binary):"
java -jar sdk/veil-cli/target/veil.jar test policies/bundles/image-classifier-rego | tail -n 2
cat > "$work/input.json" <<'JSON'
{"caller": {"id": "ana", "authenticated": true, "method": "api_key", "roles": ["analyst"],
            "tenant": "acme", "attributes": {}},
 "signals": {"rate": {"level": "medium", "score": 0.7}},
 "prediction": {"top_label": "Coat", "top_score": 0.52, "margin": 0.04, "entropy": 1.2, "classes": 10}}
JSON
java -jar sdk/veil-cli/target/veil.jar eval --bundle policies/bundles/image-classifier --input "$work/input.json" > "$work/yaml.json"
java -jar sdk/veil-cli/target/veil.jar eval --bundle policies/bundles/image-classifier-rego --input "$work/input.json" > "$work/rego.json"
if ! cmp -s "$work/yaml.json" "$work/rego.json"; then
  diff "$work/yaml.json" "$work/rego.json" || true
  die "the YAML and the Rego bundle gave different decisions"
fi
echo "veil eval: the YAML and the Rego bundle give the same six decisions for an analyst near a"
echo "boundary; the deciding rules:"
grep '"rule"' "$work/rego.json" | tr -d ' ,'

echo
echo "quickstart done."
