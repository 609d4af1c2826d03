#!/bin/sh
# Where one benchmark's time goes: runs it under async-profiler (CPU samples, taken only in the
# measured iterations) and prints, for the benchmark thread, the share of all its samples spent in
# each callee of FRAME (a suffix of a frame name such as DefaultGuard.run). Shares, not times: the
# profiler's interrupts slow the run itself, so the benchmark's own figures here are not the ones to
# quote (run the benchmark without it for those).
#
#   benchmarks/profile.sh BENCHMARK_REGEX FRAME [extra JMH options]
#   benchmarks/profile.sh 'GuardOverheadBenchmark\.guardedNoDistribution$' DefaultGuard.run
#   benchmarks/profile.sh 'DetectorBenchmark' MemoryStateStore.apply -p detectors=all
#
# Needs benchmarks/target/benchmarks.jar (mvn -B -pl benchmarks -am package -DskipTests), python3,
# and perf events (as root, or kernel.perf_event_paranoid <= 1). Fetches async-profiler 3.0 from
# Maven Central the first time. Linux x86-64 only. The full stacks stay in benchmarks/target/profile.
set -eu
if [ $# -lt 2 ]; then
    echo "usage: $0 BENCHMARK_REGEX FRAME [extra JMH options]" >&2
    exit 2
fi
bench=$1
frame=$2
shift 2
cd "$(dirname "$0")/.."
jar=benchmarks/target/benchmarks.jar
if [ ! -f "$jar" ]; then
    echo "$jar is missing: run 'mvn -B -pl benchmarks -am package -DskipTests' first" >&2
    exit 2
fi
libdir=benchmarks/target/async-profiler
lib=$libdir/linux-x64/libasyncProfiler.so
if [ ! -f "$lib" ]; then
    mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
        -Dartifact=tools.profiler:async-profiler:3.0 -DoutputDirectory="$libdir"
    (cd "$libdir" && unzip -o -q async-profiler-3.0.jar 'linux-x64/*')
fi
out=benchmarks/target/profile
rm -rf "$out"
# --add-modules: -jvmArgsAppend on the command line would replace the benchmarks' own (see README)
java -jar "$jar" "$bench" -f 1 -wi 3 -i 4 -bm sample "$@" \
    -prof "async:libPath=$PWD/$lib;event=cpu;interval=200000;output=collapsed;dir=$out;threads=true" \
    | grep -E 'p0.50|veil-audit' || true
for f in "$out"/*/collapsed-cpu.csv; do
    echo "== $f: callees of $frame, share of the benchmark thread's samples"
    python3 - "$f" "$frame" <<'EOF'
import collections, sys
path, frame = sys.argv[1], sys.argv[2]
shares, total = collections.Counter(), 0
for line in open(path):
    stack, _, n = line.rstrip().rpartition(' ')
    frames = stack.split(';')
    if 'jmh-worker' not in frames[0]:
        continue
    total += int(n)
    for i, name in enumerate(frames):
        if name.endswith(frame):
            shares[frames[i + 1] if i + 1 < len(frames) else '<self>'] += int(n)
            break
print('samples of the benchmark thread:', total)
for name, n in shares.most_common(25):
    print('%6.2f%%  %s' % (100.0 * n / total, name))
EOF
done
