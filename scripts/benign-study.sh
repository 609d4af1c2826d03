#!/usr/bin/env bash
# The benign-traffic study (policies/src/test/java/dev/veil/policies/BenignPatternsStudy.java):
# honest traffic patterns through a real Guard on the shipped image-classifier bundle, one table per
# pattern, nothing asserted (policies/README.md, "Honest traffic the shipped bundle bothers").
# scripts/test.sh does not run it.
#   scripts/benign-study.sh                      every pattern
#   scripts/benign-study.sh popularImage retries  the named patterns (the study's @Test methods)
source "$(dirname "$0")/lib.sh"
ensure_toolchain
ensure_packages dataset-fashion-mnist
cd "$veil_root"
selector="BenignPatternsStudy"
if [ $# -gt 0 ]; then
  for p in "$@"; do
    [[ "$p" =~ ^[A-Za-z0-9_]+$ ]] || die "'$p' is not a pattern name (a method of BenignPatternsStudy, e.g. popularImage)"
    grep -q "void $p()" policies/src/test/java/dev/veil/policies/BenignPatternsStudy.java \
      || die "no pattern '$p' in BenignPatternsStudy; the patterns: $(sed -n 's/^    void \([A-Za-z]*\)().*/\1/p' policies/src/test/java/dev/veil/policies/BenignPatternsStudy.java | tr '\n' ' ')"
  done
  selector="BenignPatternsStudy#$(IFS=+; echo "$*")"
fi
exec mvn -B -ntp -q -pl policies -am test -Dtest="$selector" -Dsurefire.failIfNoSpecifiedTests=false
