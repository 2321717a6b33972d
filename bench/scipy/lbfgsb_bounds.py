"""scipy's L-BFGS-B on box-constrained versions of the More-Garbow-Hillstrom problems of
bench/scipy/mgh.py, for test/minimize/bounds.test.ts, which stores this script's output: the
minimizer (run to tight tolerances) and the iterations and evaluations at scipy's defaults.
Every box makes at least one bound active at the solution or starts x0 outside the box.

Usage: python3 bench/scipy/lbfgsb_bounds.py   (prints one JSON object)
"""
import json
import sys

import numpy as np
import scipy
from scipy.optimize import minimize

from mgh import PROBLEMS


def every_third(n, upper):
    """[-2, 2] for every variable, [-2, upper] for variables 0, 3, 6, ..."""
    return [(-2.0, upper if i % 3 == 0 else 2.0) for i in range(n)]


# (problem name, bounds as (lower, upper) pairs, None for no bound)
BOXES = [
    ("Rosenbrock", [(-2, 0.5), (-2, 2)]),
    ("Beale", [(-4.5, 2.5), (-1, 1)]),
    ("Helical valley", [(-2, 0.8), (-1, 1), (None, None)]),
    ("Wood", [(-3, 0.9), (None, None), (-3, 0.9), (None, None)]),
    ("Powell singular", [(0.1, 10), (-10, 10), (-10, 10), (-10, 10)]),
    ("Trigonometric n=10", [(0, 0.05)] * 10),
    ("Penalty I n=4", [(0.3, 5)] * 4),
    ("Extended Rosenbrock n=1000", every_third(1000, 0.7)),
]


def run():
    problems = {name: (x0, fg) for name, x0, fg in PROBLEMS}
    rows = []
    for name, bounds in BOXES:
        x0, fg = problems[name]
        x0 = np.asarray(x0, dtype=float)
        tight = minimize(fg, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                         options={"gtol": 1e-12, "ftol": 0, "maxiter": 100000, "maxls": 50})
        default = minimize(fg, x0, jac=True, method="L-BFGS-B", bounds=bounds)
        rows.append({
            "problem": name, "x": tight.x.tolist() if len(x0) <= 10 else tight.x[:6].tolist(), "f": float(tight.fun),
            "nit": int(default.nit), "nfev": int(default.nfev), "fDefault": float(default.fun),
        })
    return rows


if __name__ == "__main__":
    print(json.dumps({"scipy": scipy.__version__, "numpy": np.__version__, "python": sys.version.split()[0], "rows": run()}, indent=1))
