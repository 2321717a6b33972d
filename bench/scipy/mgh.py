"""scipy.optimize on the More-Garbow-Hillstrom problems of test/helpers/mgh.ts, for the comparison
in bench/minimize-report.ts. Reads nothing; prints one JSON object. Every problem is written here
again from the paper (sums of squares f = sum r_i^2, g = 2 J'r), with the same starts.

Usage: python3 bench/scipy/mgh.py [--large N --iters K] [--bfgs-large]
"""
import json
import math
import sys
import time

import numpy as np
import scipy
from scipy.optimize import minimize

SQRT5, SQRT10, SQRT90 = math.sqrt(5), math.sqrt(10), math.sqrt(90)


def lsq(r, J):
    """f and g of f = sum r_i^2 from residual and Jacobian functions."""
    def fg(x):
        rv = np.asarray(r(x), dtype=float)
        return float(rv @ rv), 2.0 * (np.asarray(J(x), dtype=float).T @ rv)
    return fg


def theta(a, b):
    if a == 0:
        return 0.25 if b >= 0 else -0.25
    return math.atan(b / a) / (2 * math.pi) + (0.5 if a < 0 else 0.0)


def trig(n):
    def r(x):
        c = np.cos(x).sum()
        i = np.arange(1, n + 1)
        return n - c + i * (1 - np.cos(x)) - np.sin(x)

    def J(x):
        i = np.arange(1, n + 1)
        M = np.tile(np.sin(x), (n, 1))
        M[np.diag_indices(n)] += i * np.sin(x) - np.cos(x)
        return M
    return r, J


def penalty(n):
    ra = math.sqrt(1e-5)

    def r(x):
        return np.concatenate([ra * (x - 1), [x @ x - 0.25]])

    def J(x):
        return np.vstack([ra * np.eye(n), 2 * x[None, :]])
    return r, J


def ext_rosenbrock_fg(x):
    a, b = x[0::2], x[1::2]
    t = b - a * a
    u = 1 - a
    g = np.empty_like(x)
    g[0::2] = -400 * t * a - 2 * u
    g[1::2] = 200 * t
    return float(100 * (t @ t) + u @ u), g


BEALE_Y = [1.5, 2.25, 2.625]
PROBLEMS = [
    ("Rosenbrock", [-1.2, 1], lsq(lambda x: [10 * (x[1] - x[0] ** 2), 1 - x[0]], lambda x: [[-20 * x[0], 10], [-1, 0]])),
    ("Freudenstein-Roth", [0.5, -2], lsq(
        lambda x: [-13 + x[0] + ((5 - x[1]) * x[1] - 2) * x[1], -29 + x[0] + ((x[1] + 1) * x[1] - 14) * x[1]],
        lambda x: [[1, 10 * x[1] - 3 * x[1] ** 2 - 2], [1, 3 * x[1] ** 2 + 2 * x[1] - 14]])),
    ("Powell badly scaled", [0, 1], lsq(
        lambda x: [1e4 * x[0] * x[1] - 1, math.exp(-x[0]) + math.exp(-x[1]) - 1.0001],
        lambda x: [[1e4 * x[1], 1e4 * x[0]], [-math.exp(-x[0]), -math.exp(-x[1])]])),
    ("Brown badly scaled", [1, 1], lsq(
        lambda x: [x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2], lambda x: [[1, 0], [0, 1], [x[1], x[0]]])),
    ("Beale", [1, 1], lsq(
        lambda x: [BEALE_Y[i] - x[0] * (1 - x[1] ** (i + 1)) for i in range(3)],
        lambda x: [[-(1 - x[1] ** (i + 1)), x[0] * (i + 1) * x[1] ** i] for i in range(3)])),
    ("Helical valley", [-1, 0, 0], lsq(
        lambda x: [10 * (x[2] - 10 * theta(x[0], x[1])), 10 * (math.hypot(x[0], x[1]) - 1), x[2]],
        lambda x: [
            [100 * x[1] / (2 * math.pi * (x[0] ** 2 + x[1] ** 2)), -100 * x[0] / (2 * math.pi * (x[0] ** 2 + x[1] ** 2)), 10],
            [10 * x[0] / math.hypot(x[0], x[1]), 10 * x[1] / math.hypot(x[0], x[1]), 0],
            [0, 0, 1]])),
    ("Wood", [-3, -1, -3, -1], lsq(
        lambda x: [10 * (x[1] - x[0] ** 2), 1 - x[0], SQRT90 * (x[3] - x[2] ** 2), 1 - x[2],
                   SQRT10 * (x[1] + x[3] - 2), (x[1] - x[3]) / SQRT10],
        lambda x: [[-20 * x[0], 10, 0, 0], [-1, 0, 0, 0], [0, 0, -2 * SQRT90 * x[2], SQRT90], [0, 0, -1, 0],
                   [0, SQRT10, 0, SQRT10], [0, 1 / SQRT10, 0, -1 / SQRT10]])),
    ("Powell singular", [3, -1, 0, 1], lsq(
        lambda x: [x[0] + 10 * x[1], SQRT5 * (x[2] - x[3]), (x[1] - 2 * x[2]) ** 2, SQRT10 * (x[0] - x[3]) ** 2],
        lambda x: [[1, 10, 0, 0], [0, 0, SQRT5, -SQRT5], [0, 2 * (x[1] - 2 * x[2]), -4 * (x[1] - 2 * x[2]), 0],
                   [2 * SQRT10 * (x[0] - x[3]), 0, 0, -2 * SQRT10 * (x[0] - x[3])]])),
    ("Trigonometric n=10", [0.1] * 10, lsq(*trig(10))),
    ("Penalty I n=4", [1, 2, 3, 4], lsq(*penalty(4))),
    ("Penalty I n=10", list(range(1, 11)), lsq(*penalty(10))),
    ("Extended Rosenbrock n=1000", [-1.2, 1] * 500, ext_rosenbrock_fg),
]


def run_mgh(bfgs_large):
    rows = []
    for name, x0, fg in PROBLEMS:
        x0 = np.asarray(x0, dtype=float)
        for method in ("BFGS", "L-BFGS-B"):
            if method == "BFGS" and len(x0) > 100 and not bfgs_large:
                continue  # dense BFGS at n = 1000 takes ~1800 iterations and minutes here
            start = time.perf_counter()
            res = minimize(fg, x0, jac=True, method=method)
            elapsed = time.perf_counter() - start
            rows.append({
                "problem": name, "method": method, "f": float(res.fun), "nit": int(res.nit),
                "nfev": int(res.nfev), "success": bool(res.success), "message": str(res.message),
                "ms": elapsed * 1e3, "f0": fg(x0)[0],
            })
    return rows


def run_large(n, iters):
    """L-BFGS-B (m = 10) on extended Rosenbrock: time per iteration over `iters` iterations."""
    x0 = np.tile([-1.2, 1.0], n // 2)
    best = math.inf
    nit = 0
    for _ in range(3):
        start = time.perf_counter()
        res = minimize(ext_rosenbrock_fg, x0, jac=True, method="L-BFGS-B",
                       options={"maxiter": iters, "maxcor": 10, "gtol": 0, "ftol": 0})
        elapsed = time.perf_counter() - start
        nit = int(res.nit)
        best = min(best, elapsed / max(nit, 1))
    return {"n": n, "iterations": nit, "nfev": int(res.nfev), "msPerIteration": best * 1e3, "f": float(res.fun)}


if __name__ == "__main__":
    args = sys.argv[1:]
    out = {"scipy": scipy.__version__, "numpy": np.__version__, "python": sys.version.split()[0], "mgh": run_mgh("--bfgs-large" in args)}
    if "--large" in args:
        n = int(args[args.index("--large") + 1])
        iters = int(args[args.index("--iters") + 1]) if "--iters" in args else 30
        out["large"] = run_large(n, iters)
    print(json.dumps(out))
