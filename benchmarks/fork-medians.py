#!/usr/bin/env python3
"""Per-fork medians of a SampleTime JMH run, as benchmarks/README.md reports them.

For every benchmark in the JMH output given (a file per jar or build: JMH's standard output, as
printed, any number of runs appended to one file), prints each fork's median of its measurement
iterations' p0.50, the median of those fork medians and a 90% bootstrap interval of that median.
Iterations are read from the lines JMH prints after each measurement iteration ("p0.50: 4616.000
ns/op"); warm-up iterations print no percentiles, so they are not counted.

    java -jar benchmarks/target/benchmarks.jar 'GuardOverheadBenchmark\\.(direct|guarded)$' \\
        -f 3 -wi 3 -i 3 -bm sample -tu ns | tee -a after.txt
    benchmarks/fork-medians.py before.txt after.txt
"""
import random
import re
import statistics
import sys


def fork_medians(path):
    forks = {}  # benchmark -> list of forks, each a list of iteration medians
    bench = None
    with open(path, encoding='utf-8') as f:
        for line in f:
            m = re.match(r'# Benchmark: \S*\.(\w+)$', line.strip())
            if m:
                bench = m.group(1)
                continue
            if re.match(r'# Fork: \d+ of \d+', line.strip()) and bench:
                forks.setdefault(bench, []).append([])
                continue
            m = re.match(r'\s+p0\.50:\s+([\d.,]+) (\S+)/op', line)
            if m and bench and forks.get(bench):
                forks[bench][-1].append((float(m.group(1).replace(',', '')), m.group(2)))
    return forks


def main(paths):
    if not paths:
        sys.exit('usage: fork-medians.py JMH_OUTPUT [JMH_OUTPUT ...]')
    for path in paths:
        for bench, forks in sorted(fork_medians(path).items()):
            meds = [statistics.median(v for v, _ in it) for it in forks if it]
            if not meds:
                continue
            unit = forks[0][0][1] if forks[0] else ''
            low, high = interval(meds)
            print('%-24s %-28s %s  median %.3f %s (%d forks; 90%% interval %.3f to %.3f)' % (
                path, bench, ' '.join('%.3f' % x for x in meds), statistics.median(meds), unit, len(meds),
                low, high))


def interval(meds, draws=20000):
    """A 90% bootstrap interval of the median of the fork medians (seeded: the same input gives the
    same interval). Forks differ mostly by the code the JIT made in each, so the forks, not the
    iterations, are what is resampled."""
    rng = random.Random(1)
    sample = sorted(statistics.median(rng.choices(meds, k=len(meds))) for _ in range(draws))
    return sample[int(0.05 * draws)], sample[int(0.95 * draws) - 1]


if __name__ == '__main__':
    main(sys.argv[1:])
