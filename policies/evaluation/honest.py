"""Honest trace generator (an outside evaluation, 1 December 2026).

python3 policies/evaluation/honest.py OUT [callers=1000] [per=30] [mode=replace|disjoint] [retry=0.1] [retry_p=0.1]
                      [batch=500] [batch_pace_ms=1000] [gap_s=10] [seed=1] [who=none|analyst]
                      [split=test|train]
Each caller draws independent images of the split (mode=replace: with replacement from the whole
split, so two callers may send the same image; disjoint: no image sent by two callers); a `retry`
share of the callers resends a request (an exact copy 2 to 5 s later) with probability retry_p per
query; gaps between a caller's queries are exponential with mean gap_s; callers start uniformly over
an hour. One batch caller ("batch") sends `batch` distinct images every batch_pace_ms. The lines are
sorted by ts_ms. Scores: the softmax-regression model of common.py.
"""
import os, sys, heapq
import common
import numpy as np

args = dict(a.split("=", 1) for a in sys.argv[2:])
g = lambda k, d: type(d)(args.get(k, d))
out = sys.argv[1]
C = g("callers", 1000); PER = g("per", 30); MODE = args.get("mode", "replace")
RETRY = g("retry", 0.1); RETRY_P = g("retry_p", 0.1); BATCH = g("batch", 500)
BPACE = g("batch_pace_ms", 1000); GAP = g("gap_s", 10.0); SEED = g("seed", 1)
rng = np.random.default_rng(SEED)
x, y = common.load(args.get("split", "test"))
model = common.Model()
S = model.scores(x)
t0 = 1_700_000_000_000
events = []
perm = rng.permutation(len(x)); cursor = 0


def draw(k):
    global cursor
    if MODE == "disjoint":
        if cursor + k > len(x):
            sys.exit("disjoint: not enough images")
        r = perm[cursor:cursor + k]; cursor += k
        return r
    return rng.choice(len(x), k, replace=False)


for c in range(C):
    name = f"user-{c:04d}"
    t = t0 + rng.uniform(0, 3600e3)
    retries = rng.random() < RETRY
    for i in draw(PER):
        events.append((int(t), name, int(i)))
        if retries and rng.random() < RETRY_P:
            events.append((int(t + rng.uniform(2e3, 5e3)), name, int(i)))
        t += rng.exponential(GAP * 1e3)
if BATCH:
    t = t0 + 600e3
    for i in draw(BATCH):
        events.append((int(t), "batch", int(i))); t += BPACE
events.sort(key=lambda e: e[0])
common.out_dir(os.path.dirname(os.path.abspath(out)))
tr = common.Trace(out, common.WHO[args.get("who", "none")])
for ts, name, i in events:
    tr.write(name, ts, x[i], S[i])
tr.close()
print(f"{out}: {tr.n} queries", file=sys.stderr)
