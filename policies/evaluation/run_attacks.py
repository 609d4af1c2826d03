"""Generate every attack configuration and replay it through the shipped bundle and through a copy
without the alert rules (DIR/ic-act, made anew here: first_alarm there = first degrade or block).

python3 policies/evaluation/run_attacks.py [out=DIR] [who=none|analyst] [filter-substring]
DIR (default /tmp/veil-eval, not inside the repository) receives the traces att_*.jsonl and ic-act.
Budgets (issue 3): one caller flagged at a query index < 50; 10 accounts: the first flagged query's
position in the whole trace < 100. Prints one row per (config, pace, accounts).
"""
import json, subprocess, sys, os
import common
HERE = common.HERE
JAR = common.JAR
SHIPPED = common.BUNDLE

who = "none"; filt = ""; out_arg = None
for a in sys.argv[1:]:
    if a.startswith("who="): who = a[4:]
    elif a.startswith("out="): out_arg = a[4:]
    else: filt = a
if not os.path.exists(JAR):
    sys.exit(f"{JAR} is missing: build it with 'mvn -B install -DskipTests' at the repository's root")
T = common.out_dir(out_arg)
ACT = os.path.join(T, "ic-act")
common.alert_free_copy(ACT)

CONFIGS = []
for anti in (1, 0):
    for sigma in (0.001, 0.01, 0.05, 0.2):
        for pairs in (5, 50):
            CONFIGS.append(("nes", f"sigma={sigma} pairs={pairs} anti={anti}"))
for k in (1, 20, 100):
    for d in (0.05, 0.2):
        CONFIGS.append(("hill", f"mode=coord k={k} delta={d}"))
for p in (3, 6):
    for d in (0.1, 0.3):
        CONFIGS.append(("hill", f"mode=patch patch={p} delta={d}"))
for anti in (1, 0):
    for sigma in (0.2, 1.0):
        for start in ("mean", "image"):
            CONFIGS.append(("pca", f"sigma={sigma} anti={anti} start={start}"))
for sigma in (0.3, 1.0):
    for start in ("mean", "image"):
        CONFIGS.append(("pcahill", f"sigma={sigma} start={start}"))
for eps in (0.02, 0.1):
    CONFIGS.append(("boundary", f"eps={eps}"))
for steps in (20, 50):
    CONFIGS.append(("sweep", f"steps={steps}"))
for lam in (0.05, 0.1):
    for sign in ("jac", "rnd"):
        CONFIGS.append(("jbda", f"lam={lam} sign={sign}"))


def replay(bundle, trace):
    r = subprocess.run(["nice", "-n", "19", "java", "-jar", JAR, "monitor", "replay", "--bundle", bundle,
                        "--trace", trace], capture_output=True, text=True)
    if r.returncode != 0:
        return None, r.stderr.strip()
    lines = r.stdout.strip().split("\n")
    return [json.loads(l) for l in lines[:-1]], lines[-1] + " | " + " ".join(
        l for l in r.stderr.split("\n") if "invalid" in l or "refused" in l)[:200]


def global_first(trace, results):
    """Position in the trace (0-based) of the first query that raised an alarm, over all callers."""
    fa = {r["caller"]: r["first_alarm"] for r in results}
    seen = {}
    with open(trace) as f:
        for pos, line in enumerate(f):
            c = json.loads(line)["caller"]
            k = seen.get(c, 0); seen[c] = k + 1
            if fa.get(c) is not None and fa[c] == k:
                return pos, c
    return None, None


rows = []
for kind, params in CONFIGS:
    name = f"{kind} {params}"
    if filt not in name: continue
    for pace in (1000, 10000):
        for acc in (1, 10):
            n = 300 if acc == 1 else 600
            trace = os.path.join(T, f"att_{kind}_{params.replace(' ', '_').replace('=', '')}_p{pace}_a{acc}_{who}.jsonl")
            subprocess.run(["nice", "-n", "19", "python3", os.path.join(HERE, "attacks.py"), trace, kind,
                            *params.split(), f"n={n}", f"accounts={acc}", f"pace_ms={pace}", f"who={who}"],
                           check=True, capture_output=True)
            out = []
            for bundle in (SHIPPED, ACT):
                res, note = replay(bundle, trace)
                if res is None:
                    out.append(("ERR", note)); continue
                pos, c = global_first(trace, res)
                dets = {}
                for r in res:
                    for d, v in r["detectors"].items():
                        if v is not None:
                            dets[d] = min(dets.get(d, 10**9), v)
                first = sorted(dets.items(), key=lambda kv: kv[1])[:3]
                out.append((pos, first))
            budget = 50 if acc == 1 else 100
            miss = out[0][0] is None or out[0][0] == "ERR" or out[0][0] >= budget
            miss_act = out[1][0] is None or out[1][0] == "ERR" or out[1][0] >= budget
            row = (f"{'MISS ' if miss else 'ok   '}{'MISS-act ' if miss_act else 'ok-act   '}"
                   f"{name:45s} pace={pace:5d} acc={acc:2d} first={out[0][0]} {out[0][1]} "
                   f"| act first={out[1][0]} {out[1][1]}")
            print(row, flush=True)
