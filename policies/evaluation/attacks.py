"""Attack trace generator (an outside evaluation, 1 December 2026). Written without reading the repo's generators.

python3 policies/evaluation/attacks.py OUT KIND [key=value ...]   (OUT: a path outside the repository)
  common keys: n=300 (queries), accounts=1 (round-robin over accounts), pace_ms=1000, seed=0,
               who=none|analyst (none: the issue's bare {"caller","ts_ms","features","scores"}),
               src=0 (class of the start image), tgt=2 (target class), tenant-less callers "att-<kind>-<j>"
KINDs:
  nes        sigma=0.05 pairs=10 anti=1 lr=0.01   NES gradient estimate of log p_tgt, sign steps
  hill       mode=coord|patch k=20 patch=3 delta=0.1   accept a random step when p_tgt rises
  pca        sigma=0.5 pairs=10 anti=1 lr=0.2 dims=50 start=mean|image resid=0|1   NES in whitened PCA
             coefficients (resid=1 with start=image: the image's detail outside the basis is kept)
  pcahill    sigma=0.5 dims=50                     random search in whitened PCA coefficients
  boundary   eps=0.05                               binary search between two images, then a walk
                                                    along the boundary (perturb, project back by bisection)
  sweep      steps=50                               straight walk from image a to image b
  jbda       lam=0.1 seeds=10 sign=jac|rnd          Papernot JbDA / T-RND synthetic extraction queries
"""
import os, sys
import common
import numpy as np

args = dict(a.split("=", 1) for a in sys.argv[3:])
out, kind = sys.argv[1], sys.argv[2]
g = lambda k, d: type(d)(args.get(k, d))
N = g("n", 300); ACC = g("accounts", 1); PACE = g("pace_ms", 1000); SEED = g("seed", 0)
SRC = g("src", 0); TGT = g("tgt", 2)
rng = np.random.default_rng(SEED)
model = common.Model(); contract = common.Contract()
xt, yt = common.load("test")
queries = []          # (x, scores)


def ask(x):
    x = np.clip(x, 0, 1)
    s = model.scores(x)
    queries.append((x, s))
    return s


def done():
    return len(queries) >= N


def start_image(cls):
    idx = np.flatnonzero(yt == cls)
    return xt[rng.choice(idx)].copy()


if kind == "nes":
    sigma = g("sigma", 0.05); pairs = g("pairs", 10); anti = g("anti", 1); lr = g("lr", 0.01)
    x = start_image(SRC)
    while not done():
        grad = np.zeros(784)
        if anti:
            for _ in range(pairs):
                u = rng.standard_normal(784)
                lp = np.log(ask(x + sigma * u)[TGT] + 1e-12)
                if done(): break
                lm = np.log(ask(x - sigma * u)[TGT] + 1e-12)
                grad += (lp - lm) * u
                if done(): break
        else:
            base = np.log(ask(x)[TGT] + 1e-12)
            for _ in range(2 * pairs):
                if done(): break
                u = rng.standard_normal(784)
                grad += (np.log(ask(x + sigma * u)[TGT] + 1e-12) - base) * u
        x = np.clip(x + lr * np.sign(grad), 0, 1)
elif kind == "hill":
    mode = args.get("mode", "coord"); k = g("k", 20); p = g("patch", 3); delta = g("delta", 0.1)
    x = start_image(SRC); best = ask(x)[TGT]
    while not done():
        c = x.copy().reshape(28, 28)
        if mode == "coord":
            idx = rng.choice(784, k, replace=False)
            c.flat[idx] += rng.choice([-delta, delta], k)
        else:
            r, q = rng.integers(0, 28 - p + 1, 2)
            c[r:r + p, q:q + p] += rng.choice([-delta, delta])
        c = np.clip(c.ravel(), 0, 1)
        s = ask(c)[TGT]
        if s > best:
            best, x = s, c
elif kind in ("pca", "pcahill"):
    dims = g("dims", 50); sigma = g("sigma", 0.5)
    mean, V, sd = common.pca(50); V, sd = V[:, :dims], sd[:dims]
    dec = lambda c: np.clip(mean + V @ (c * sd), 0, 1)
    if args.get("start", "mean") == "image":
        a = start_image(SRC)
        c = ((a - mean) @ V) / sd
        if g("resid", 0):             # keep the real image's detail outside the basis: probes stay rough
            resid = a - (mean + V @ (c * sd))
            dec = lambda c: np.clip(mean + resid + V @ (c * sd), 0, 1)
    else:
        c = np.zeros(dims)
    if kind == "pca":
        pairs = g("pairs", 10); anti = g("anti", 1); lr = g("lr", 0.2)
        while not done():
            grad = np.zeros(dims)
            if anti:
                for _ in range(pairs):
                    u = rng.standard_normal(dims)
                    lp = np.log(ask(dec(c + sigma * u))[TGT] + 1e-12)
                    if done(): break
                    lm = np.log(ask(dec(c - sigma * u))[TGT] + 1e-12)
                    grad += (lp - lm) * u
                    if done(): break
            else:
                base = np.log(ask(dec(c))[TGT] + 1e-12)
                for _ in range(2 * pairs):
                    if done(): break
                    u = rng.standard_normal(dims)
                    grad += (np.log(ask(dec(c + sigma * u))[TGT] + 1e-12) - base) * u
            c = c + lr * grad / (np.linalg.norm(grad) + 1e-12)
    else:
        best = ask(dec(c))[TGT]
        while not done():
            cand = c + sigma * rng.standard_normal(dims)
            s = ask(dec(cand))[TGT]
            if s > best:
                best, c = s, cand
elif kind == "boundary":
    eps = g("eps", 0.05)
    while not done():
        a = start_image(SRC); b = start_image(TGT)
        la = model.scores(a).argmax()

        def bisect(lo_pt, hi_pt, steps=8):      # lo_pt classified la, hi_pt not
            for _ in range(steps):
                mid = (lo_pt + hi_pt) / 2
                if ask(mid).argmax() == la:
                    lo_pt = mid
                else:
                    hi_pt = mid
                if done(): break
            return hi_pt
        xb = bisect(a, b)
        for _ in range(20):
            if done(): break
            y = np.clip(xb + eps * rng.standard_normal(784), 0, 1)
            if ask(y).argmax() == la:
                continue
            xb = bisect(a, y, 5)
elif kind == "sweep":
    steps = g("steps", 50)
    while not done():
        a = start_image(SRC); b = start_image(TGT)
        for t in np.linspace(0, 1, steps):
            if done(): break
            ask((1 - t) * a + t * b)
elif kind == "jbda":
    lam = g("lam", 0.1); seeds = g("seeds", 10); sign = args.get("sign", "jac")
    pool = [start_image(c % 10) for c in range(seeds)]
    X, Y = [], []
    for x in pool:
        X.append(x); Y.append(ask(x).argmax())
    W = np.zeros((784, 10)); b = np.zeros(10)
    while not done():
        Xa, Ya = np.array(X), np.eye(10)[Y]
        for _ in range(50):                      # substitute: softmax regression on the labels
            p = common.softmax(Xa @ W + b); gr = p - Ya
            W -= 0.5 * Xa.T @ gr / len(Xa); b -= 0.5 * gr.mean(0)
        new = []
        for x, yl in zip(list(X), list(Y)):
            if sign == "jac":
                p = common.softmax(x @ W + b)
                J = W[:, yl] - W @ p              # d p_y / dx up to the factor p_y
                d = np.sign(J)
            else:
                d = rng.choice([-1.0, 1.0], 784)
            new.append(np.clip(x + lam * d, 0, 1))
        for x in new:
            if done(): break
            X.append(x); Y.append(ask(x).argmax())
else:
    sys.exit("unknown kind " + kind)

who = common.WHO[args.get("who", "none")]
common.out_dir(os.path.dirname(os.path.abspath(out)))
tr = common.Trace(out, who)
t0 = 1_700_000_000_000
refused = 0
for i, (x, s) in enumerate(queries[:N]):
    caller = f"att-{kind}-{i % ACC}" if ACC > 1 else f"att-{kind}"
    refused += not contract.ok(x)
    tr.write(caller, t0 + i * PACE, x, s)
tr.close()
print(f"{out}: {tr.n} queries, {refused} would fail the bundle's input contract (pre-check), "
      f"final p_tgt={queries[-1][1][TGT]:.3f}", file=sys.stderr)
