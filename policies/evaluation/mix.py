"""Interleave an attack trace with an honest one by time and report when the attack is first flagged,
counting only the attack's own queries (issue 3's budgets), plus honest callers flagged.
python3 policies/evaluation/mix.py ATTACK HONEST OUT BUNDLE [offset_s]   (offset_s: default 600)
OUT (the mixed trace) may not be inside the repository."""
import json, subprocess, sys, os
import common
att, hon, out, bundle = sys.argv[1:5]
off = int(sys.argv[5]) if len(sys.argv) > 5 else 600
common.out_dir(os.path.dirname(os.path.abspath(out)))
H = [l for l in open(hon)]
t0 = json.loads(H[0])["ts_ms"]
A = []
for l in open(att):
    d = json.loads(l); A.append(d)
a0 = A[0]["ts_ms"]
for d in A: d["ts_ms"] = d["ts_ms"] - a0 + t0 + off * 1000
lines = [(json.loads(l)["ts_ms"], 1, l) for l in H] + [(d["ts_ms"], 0, json.dumps(d) + "\n") for d in A]
lines.sort(key=lambda e: (e[0], e[1]))
with open(out, "w") as f:
    f.writelines(l for _, _, l in lines)
jar = common.JAR
r = subprocess.run(["nice", "-n", "19", "java", "-jar", jar, "monitor", "replay", "--bundle", bundle, "--trace", out],
                   capture_output=True, text=True)
res = {}
for l in r.stdout.strip().split("\n")[:-1]:
    d = json.loads(l); res[d["caller"]] = d
acallers = {d["caller"] for d in A}
seen = {}; pos = 0; first = None
for _, kind, l in lines:
    if kind: continue
    c = json.loads(l)["caller"]; k = seen.get(c, 0); seen[c] = k + 1
    if first is None and res[c]["first_alarm"] == k:
        first = (pos, c, {x: v for x, v in res[c]["detectors"].items() if v is not None})
    pos += 1
hf = [c for c, d in res.items() if c not in acallers and d["first_alarm"] is not None]
print(f"{os.path.basename(att)} in {os.path.basename(hon)} ({os.path.basename(bundle)}): attack first flagged at its query "
      f"{first}; honest flagged {len(hf)} of {len(res) - len(acallers)}; {r.stdout.strip().split(chr(10))[-1]}")
