#!/usr/bin/env python3
"""Where a profiled benchmark's samples end: shares of leaf frames under one frame.

Reads the collapsed stacks that benchmarks/profile.sh leaves (benchmarks/target/profile/*/
collapsed-cpu.csv), keeps the samples of the threads whose name contains THREAD, and prints which
share of those samples lie under FRAME (a suffix of a frame name, e.g. DetectorTraffic.observe: the
timed part of a benchmark whose set-up runs on the same thread), then, as shares of the samples
under FRAME, each GROUP and the most frequent leaf frames (the frame a sample was taken in).

A group is NAME=LEAF_REGEX or NAME=LEAF_REGEX@STACK_REGEX: the samples whose leaf frame matches
LEAF_REGEX (and, with @, whose whole stack matches STACK_REGEX), each counted once per group.

    benchmarks/profile.sh 'DetectorBenchmark' DetectorTraffic.observe -p detectors=answers -tu us
    benchmarks/leaf-shares.py benchmarks/target/profile/*/collapsed-cpu.csv DetectorBenchmark \\
        DetectorTraffic.observe 'copies=BoundedList.snapshot|BoundedList.copyOut|arraycopy'
"""
import collections
import re
import signal
import sys


def main(path, thread, frame, groups):
    total = 0
    under = 0
    leaves = collections.Counter()
    grouped = collections.Counter()
    for line in open(path):
        stack, _, n = line.rstrip().rpartition(' ')
        frames = stack.split(';')
        if thread not in frames[0]:
            continue
        n = int(n)
        total += n
        if not any(f.endswith(frame) for f in frames):
            continue
        under += n
        leaves[frames[-1]] += n
        for name, leaf_re, stack_re in groups:
            if leaf_re.search(frames[-1]) and (stack_re is None or stack_re.search(stack)):
                grouped[name] += n
    if under == 0:
        sys.exit('no sample of a thread matching %r has %r in its stack' % (thread, frame))
    print('samples of the thread: %d; under %s: %d (%.1f%%)' % (total, frame, under, 100 * under / total))
    for name, _, _ in groups:
        print('%6.1f%%  group %s' % (100 * grouped[name] / under, name))
    for leaf, n in leaves.most_common(25):
        print('%6.1f%%  %s' % (100 * n / under, leaf))


def group(spec):
    name, _, patterns = spec.partition('=')
    leaf, _, stack = patterns.partition('@')
    if not name or not leaf:
        sys.exit('a group is NAME=LEAF_REGEX or NAME=LEAF_REGEX@STACK_REGEX, was %r' % spec)
    return name, re.compile(leaf), re.compile(stack) if stack else None


if __name__ == '__main__':
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    if len(sys.argv) < 4:
        sys.exit('usage: leaf-shares.py COLLAPSED THREAD FRAME [NAME=LEAF_REGEX[@STACK_REGEX] ...]')
    main(sys.argv[1], sys.argv[2], sys.argv[3], [group(g) for g in sys.argv[4:]])
