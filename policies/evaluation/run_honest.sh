#!/usr/bin/env bash
# Honest traffic replayed through the shipped bundle and through an alert-free copy of it (so that
# there a caller's first_alarm is its first degrade or block). See README.md beside this file.
# usage (from anywhere): policies/evaluation/run_honest.sh [-o DIR] NAME [honest.py key=value ...]
# Writes DIR/NAME.jsonl, DIR/ic-act (the alert-free copy, made anew each run) and
# DIR/NAME.{image-classifier,ic-act}.{out,err}; DIR defaults to /tmp/veil-eval and may not be inside
# the repository. Needs sdk/veil-cli/target/veil.jar (mvn install -DskipTests) and numpy.
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib.sh"
dir=/tmp/veil-eval
if [ "${1:-}" = "-o" ]; then dir="${2:?-o needs a directory}"; shift 2; fi
[ $# -ge 1 ] || die "usage: $0 [-o DIR] NAME [honest.py key=value ...]"
N=$1; shift
ensure_packages dataset-fashion-mnist
ensure_numpy
jar="$veil_root/sdk/veil-cli/target/veil.jar"
[ -f "$jar" ] || die "$jar is missing: build it with 'mvn -B install -DskipTests' in $veil_root"
dir="$(python3 -c "import sys; sys.path.insert(0, sys.argv[1]); import common; print(common.out_dir(sys.argv[2]))" "$here" "$dir")"
nice -n 19 python3 "$here/common.py" alert-free "$dir/ic-act"
nice -n 19 python3 "$here/honest.py" "$dir/$N.jsonl" "$@"
for b in "$veil_root/policies/bundles/image-classifier" "$dir/ic-act"; do
  o="$dir/$N.$(basename "$b")"
  nice -n 19 java -jar "$jar" monitor replay --bundle "$b" --trace "$dir/$N.jsonl" > "$o.out" 2> "$o.err" \
    || die "replay failed on $b, see $o.err"
  echo "$N $(basename "$b"): $(tail -1 "$o.out")"
  python3 - "$o.out" <<'PY'
import sys, json, collections
c = collections.Counter()
for l in open(sys.argv[1]):
    if l.startswith("callers"):
        continue
    d = json.loads(l); fa = d["first_alarm"]
    if fa is None:
        continue
    dets = [k for k, v in d["detectors"].items() if v == fa]
    c[",".join(dets)] += 1
    print("   ", d["caller"], "first_alarm", fa, dets)
print("   by detector:", dict(c))
PY
done
