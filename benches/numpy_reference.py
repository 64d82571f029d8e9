#!/usr/bin/env python3
"""The NumPy side of the performance comparison.

Runs the Rust cases (`cargo bench -p stable-learning-benches --bench numpy_compare`), the same
computations in NumPy on the same deterministic inputs, checks that both
sides' checksums agree, and prints the time ratio Rust / NumPy per case.
Both sides run on one thread.

    python3 -m venv target/numpy-venv
    target/numpy-venv/bin/pip install numpy threadpoolctl
    target/numpy-venv/bin/python benches/numpy_reference.py [--rounds N] [--markdown FILE]

The two sides take turns N times (3 unless told); times are medians over
the rounds, and the table shows the range of the ratio too.

With --markdown, the table is also written to FILE (the appendix "How fast
is this?" includes chapters/measurements/numpy.md). Nothing else in the project needs Python: this script only measures.
"""

import json
import os
import subprocess
import sys
import time

# One thread for NumPy's BLAS, set before NumPy loads it. The machine's
# environment may pin OPENBLAS_CORETYPE for Debian's old OpenBLAS; the wheel's
# own OpenBLAS detects the CPU correctly, so let it.
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(var, None)

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def det_matrix(rows, cols, seed, scale):
    i = np.arange(rows, dtype=np.float64)[:, None]
    j = np.arange(cols, dtype=np.float64)[None, :]
    return scale * np.sin(1.0 + 0.37 * i + 0.73 * j + seed)


def median_time(reps, f):
    f()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[reps // 2]


SIZES = [64, 1000, 1000, 1000, 1000, 1000, 10]


def glorot_net():
    return [
        [det_matrix(a, b, float(l), np.sqrt(6.0 / (a + b))), np.zeros(b)]
        for l, (a, b) in enumerate(zip(SIZES[:-1], SIZES[1:]))
    ]


def train_step(net, x, labels):
    """Forward, softmax cross-entropy, backward, SGD (lr 0.01): as src/mlp.rs."""
    n = x.shape[0]
    post = [x]
    for l, (w, b) in enumerate(net):
        z = post[-1] @ w + b
        post.append(z if l == len(net) - 1 else np.tanh(z))
    out = post[-1]
    shifted = out - out.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(shifted).sum(axis=1))
    loss = np.mean(log_sum - shifted[np.arange(n), labels])
    grad = np.exp(shifted - log_sum[:, None])
    grad[np.arange(n), labels] -= 1.0
    d_h = grad / n
    grads = []
    for l in range(len(net) - 1, -1, -1):
        w, _ = net[l]
        delta = d_h if l == len(net) - 1 else d_h * (1.0 - post[l + 1] ** 2)
        grads.append((post[l].T @ delta, delta.sum(axis=0)))
        d_h = delta @ w.T
    for (w, b), (gw, gb) in zip(net, reversed(grads)):
        w -= 0.01 * gw
        b -= 0.01 * gb
    return loss


def numpy_cases():
    cases = {}
    for batch in (10, 256):
        x = det_matrix(batch, 64, 100.0, 0.5) + 0.5
        labels = np.arange(batch) % 10
        net = glorot_net()
        loss = train_step(net, x, labels)
        # As the Rust side: entry k of each layer (row-major) weighted by (k mod 7) − 3.
        checksum = float(sum(np.sum(w.ravel() * ((np.arange(w.size) % 7) - 3.0)) for w, _ in net))
        net = glorot_net()
        secs = median_time(30 if batch == 10 else 10, lambda: train_step(net, x, labels))
        cases[f"train_step_glorot_batch{batch}"] = (secs, [float(loss), checksum])

    a = det_matrix(256, 1000, 3.0, 0.1)
    b = det_matrix(1000, 1000, 4.0, 0.1)
    c = (a @ b).ravel()
    cases["matmul_256x1000x1000"] = (median_time(20, lambda: a @ b), [float(np.sum(c * ((np.arange(c.size) % 5) - 2.0)))])
    z = det_matrix(1280, 1000, 5.0, 3.0)
    t = np.tanh(z).ravel()
    cases["tanh_1280x1000"] = (median_time(20, lambda: np.tanh(z)), [float(np.sum(t * ((np.arange(t.size) % 5) - 2.0)))])

    rng = np.random.default_rng(0)
    n = 1000
    inits = {
        "xavier_uniform": lambda: rng.uniform(-np.sqrt(6 / 2000), np.sqrt(6 / 2000), (n, n)),
        "xavier_normal": lambda: rng.standard_normal((n, n)) * np.sqrt(2 / 2000),
        "he_normal": lambda: rng.standard_normal((n, n)) * np.sqrt(2 / n),
        "torch_linear": lambda: rng.uniform(-1 / np.sqrt(n), 1 / np.sqrt(n), (n, n)),
    }
    for name, draw in inits.items():
        n_var = float(n * draw().var())
        cases[f"init_1000x1000_{name}"] = (median_time(10, draw), [n_var])

    ws = [det_matrix(256, 256, float(l), 1.5 / 16.0) for l in range(10)]
    x = det_matrix(64, 256, 7.0, 1.0)

    def forward():
        h = x
        for l in range(1000):
            h = np.tanh(h @ ws[l % 10])
        return h

    out = forward().ravel()
    checksum = float(np.sum(out * ((np.arange(out.size) % 5) - 2.0)))
    cases["forward_1000_layers_width256"] = (median_time(5, forward), [checksum])

    k = 10
    i = np.arange(100_000)
    labels = (i * 7 + i // 13) % k
    predicted = np.where(i % 5 == 0, (labels + 1) % k, labels)
    t = np.arange(50_000)
    target_pred = np.where(t % 3 == 0, 2, (t * 11) % k)

    def estimate():
        c = np.zeros((k, k))
        np.add.at(c, (predicted, labels), 1.0)
        c /= labels.size
        mu = np.bincount(target_pred, minlength=k) / target_pred.size
        return np.maximum(np.linalg.solve(c, mu), 0.0)

    cases["bbse_estimate_100k"] = (median_time(20, estimate), [float(v) for v in estimate()])

    ts = np.arange(1_000_000)
    rate = np.where((ts // 100_000) % 2 == 0, 10, 50)
    stream = ((ts * 37) % 100 < rate).astype(np.float64).tolist()

    def detect():
        # Page–Hinkley, as src/shift/drift.rs: one Python step per sample.
        count, n_seen, mean, total, lowest = 0, 0, 0.0, 0.0, 0.0
        for x in stream:
            n_seen += 1
            mean += (x - mean) / n_seen
            total += x - mean - 0.005
            lowest = min(lowest, total)
            if n_seen >= 30 and total - lowest > 50.0:
                count, n_seen, mean, total, lowest = count + 1, 0, 0.0, 0.0, 0.0
        return count

    alarms = detect()
    cases["page_hinkley_update"] = (median_time(3, detect) / len(stream), [float(alarms)])
    return cases


def agree(name, rust, numpy):
    if name.startswith("init_"):
        # Random draws: n·Var(W) must agree within sampling error (10⁶
        # draws: relative standard error under 0.15%; allow 1%).
        return all(abs(r / p - 1) < 0.01 for r, p in zip(rust, numpy))
    return all(abs(r - p) <= 1e-9 * max(1.0, abs(p)) for r, p in zip(rust, numpy))


def main():
    try:
        from threadpoolctl import threadpool_info

        blas = [(i.get("internal_api"), i.get("num_threads"), i.get("architecture")) for i in threadpool_info()]
    except ImportError:
        blas = "threadpoolctl not installed"
    print(f"NumPy {np.__version__}, BLAS {blas}", file=sys.stderr)
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
    # The two sides take turns, round after round, so that a slow spell of
    # a shared machine falls on both; each side's time per case is the
    # median over rounds, and the ratio's range over rounds is shown too.
    rust_rounds, numpy_rounds = [], []
    for round_ in range(rounds):
        print(f"round {round_ + 1} of {rounds}: cargo bench -p stable-learning-benches --bench numpy_compare, then NumPy ...", file=sys.stderr)
        out = subprocess.run(
            ["cargo", "bench", "--quiet", "-p", "stable-learning-benches", "--bench", "numpy_compare"],
            cwd=ROOT, check=True, capture_output=True, text=True,
        ).stdout
        rust_rounds.append(json.loads(out))
        numpy_rounds.append(numpy_cases())
    ok = True
    header = f"{'case':34} {'Rust':>12} {'NumPy':>12} {'Rust/NumPy':>10} {'range':>11}  outputs agree"
    print(header)
    rows = [
        "| case | Rust | NumPy | Rust / NumPy | range over rounds | outputs agree |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name in numpy_rounds[0]:
        same = all(agree(name, r[name]["checksum"], n[name][1]) for r, n in zip(rust_rounds, numpy_rounds))
        ok &= same
        unit = "s/sample" if name.endswith("_update") else "s"
        rust_secs = median([r[name]["seconds"] for r in rust_rounds])
        numpy_secs = median([n[name][0] for n in numpy_rounds])
        ratios = [r[name]["seconds"] / n[name][0] for r, n in zip(rust_rounds, numpy_rounds)]
        ratio, low, high = median(ratios), min(ratios), max(ratios)
        print(f"{name:34} {rust_secs:>10.3e}{unit[0]} {numpy_secs:>10.3e}{unit[0]} {ratio:>10.2f} {low:>5.2f}–{high:<5.2f}  {'yes' if same else 'NO'}")
        per = "/sample" if name.endswith("_update") else ""
        rows.append(
            f"| `{name}` | {si_time(rust_secs)}{per} | {si_time(numpy_secs)}{per} | {ratio:.2f} | {low:.2f}–{high:.2f} | {'yes' if same else 'no'} |"
        )
    if "--markdown" in sys.argv:
        path = sys.argv[sys.argv.index("--markdown") + 1]
        with open(path, "w") as f:
            f.write("\n".join(rows) + "\n")
    if not ok:
        sys.exit("the two implementations disagree on at least one case")


def si_time(seconds):
    """Three significant digits in the unit that suits them: 15.4 ms, 5.57 ns."""
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns")):
        text = f"{seconds / scale:#.3g}".rstrip(".")
        if float(text) >= 1.0 or unit == "ns":
            return f"{text} {unit}"


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


if __name__ == "__main__":
    main()
