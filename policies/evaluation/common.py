"""Shared pieces of the outside evaluator's trace generators (an outside evaluation, 1 December 2026; see README.md).

Fashion-MNIST from Debian's dataset-fashion-mnist, a softmax-regression model trained here (its
scores go into the traces), a PCA basis of the public training images, a validation pre-check that
mimics the image-classifier bundle's input contract (to count probes the bundle would refuse), and a
trace writer in the `veil monitor replay` format of issue 3.
"""
import gzip, json, os, re, shutil, sys
try:
    import numpy as np
except ImportError:
    sys.exit(f"numpy is missing for {sys.executable}: install the Debian package python3-numpy "
             "(apt-get install python3-numpy, for /usr/bin/python3) or run this with a python3 that has numpy")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))          # the repository's root
DS = "/usr/share/datasets/fashion-mnist"
BUNDLE = os.path.join(ROOT, "policies", "bundles", "image-classifier")
JAR = os.path.join(ROOT, "sdk", "veil-cli", "target", "veil.jar")


def _idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    nd = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def load(split):
    pre = "train" if split == "train" else "t10k"
    if not os.path.exists(f"{DS}/{pre}-images-idx3-ubyte.gz"):
        sys.exit(f"Fashion-MNIST not found in {DS}: install the Debian package dataset-fashion-mnist")
    x = _idx(f"{DS}/{pre}-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float64) / 255.0
    y = _idx(f"{DS}/{pre}-labels-idx1-ubyte.gz").astype(np.int64)
    return x, y


def softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


class Model:
    """Softmax regression trained on the 60,000 training images (cached in model.npz)."""

    def __init__(self):
        cache = os.path.join(HERE, "model.npz")
        if os.path.exists(cache):
            d = np.load(cache)
            self.W, self.b = d["W"], d["b"]
            return
        x, y = load("train")
        rng = np.random.default_rng(0)
        W = np.zeros((784, 10)); b = np.zeros(10)
        onehot = np.eye(10)[y]
        lr = 0.5
        for epoch in range(15):
            perm = rng.permutation(len(x))
            for i in range(0, len(x), 256):
                idx = perm[i:i + 256]
                p = softmax(x[idx] @ W + b)
                g = p - onehot[idx]
                W -= lr * (x[idx].T @ g / len(idx) + 1e-4 * W)
                b -= lr * g.mean(axis=0)
        self.W, self.b = W, b
        np.savez(cache, W=W, b=b)

    def scores(self, x):
        return softmax(np.asarray(x) @ self.W + self.b)


def pca(k=50):
    cache = os.path.join(HERE, f"pca{k}.npz")
    if os.path.exists(cache):
        d = np.load(cache)
        return d["mean"], d["V"], d["s"]
    x, _ = load("train")
    x = x[:20000]
    mean = x.mean(axis=0)
    u, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    V = vt[:k].T                      # 784 x k
    s = s[:k] / np.sqrt(len(x))       # std of each coefficient
    np.savez(cache, mean=mean, V=V, s=s)
    return mean, V, s


class Contract:
    """The bundle's default validation contract, as docs/policy-reference.md describes it."""

    def __init__(self):
        d = json.load(open(os.path.join(BUNDLE, "training", "stats", "data.json")))
        self.mean = np.array(d["mean"]); self.std = np.maximum(np.array(d["std"]), 0.05)
        self.summ = d["summary"]

    def ok(self, x):
        x = np.asarray(x)
        if x.min() < 0 or x.max() > 1:
            return False
        z = np.abs((x - self.mean) / self.std)
        if z.max() > 19 or np.sqrt((z ** 2).mean()) > 2.5:
            return False
        m, s, r = x.mean(), x.std(), np.abs(np.diff(x)).mean()
        for v, key in ((m, "mean"), (s, "std"), (r, "roughness")):
            lo, hi = self.summ[key]
            if not (lo <= v <= hi):
                return False
        return True


def out_dir(arg):
    """The directory traces go to: the command line's, else /tmp/veil-eval; never inside the repository."""
    d = os.path.abspath(arg or "/tmp/veil-eval")
    if d == ROOT or d.startswith(ROOT + os.sep):
        sys.exit(f"trace directory {d} is inside the repository {ROOT}: give one outside it (default /tmp/veil-eval)")
    os.makedirs(d, exist_ok=True)
    return d


ALERT_RULE = re.compile(r'\n    - id: [^\n]*\n(?:      [^\n]*\n)*?      action: alert(?=\n)')


def alert_free_copy(dest):
    """A copy of the shipped bundle at dest without its `action: alert` rules (policies/README.md's
    strip_alerts), so that a caller's first_alarm in replay is its first degrade or block."""
    if os.path.exists(dest):
        shutil.rmtree(dest)
    shutil.copytree(BUNDLE, dest)
    p = os.path.join(dest, "image-classifier.veil.yaml")
    s = open(p).read()
    stripped, n = ALERT_RULE.subn("", s)
    if n == 0 or "action: alert" in stripped:
        sys.exit(f"{p}: could not remove the alert rules ({n} removed; the rule layout changed?): "
                 "update ALERT_RULE in common.py and strip_alerts in policies/README.md")
    open(p, "w").write(stripped)
    return n


class Trace:
    def __init__(self, path, who=None):
        self.f = open(path, "w")
        self.who = who            # None: the bare format; else dict merged into every line
        self.n = 0

    def write(self, caller, ts_ms, x, scores=None):
        d = {"caller": caller, "ts_ms": int(ts_ms),
             "features": [round(float(v), 5) for v in x]}
        if scores is not None:
            d["scores"] = [round(float(v), 6) for v in scores]
        if self.who:
            d.update(self.who)
        self.f.write(json.dumps(d, separators=(",", ":")) + "\n")
        self.n += 1

    def close(self):
        self.f.close()


WHO = {"none": None,
       "analyst": {"tenant": "acme", "roles": ["analyst"]}}


if __name__ == "__main__":
    # python3 common.py alert-free DEST: the alert-free copy of the shipped bundle (used by run_honest.sh)
    if len(sys.argv) != 3 or sys.argv[1] != "alert-free":
        sys.exit("usage: python3 common.py alert-free DEST")
    print(f"{sys.argv[2]}: the shipped bundle without its {alert_free_copy(sys.argv[2])} alert rules", file=sys.stderr)
