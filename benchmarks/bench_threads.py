"""BLAS threads for the estimation core: one thread against the library's default, in one run.

The design's matrix work is n x k with k a few dozen at most (calibration residuals, sandwich
variances), too small for a second BLAS thread to pay for its start-up and hand-over; on a busy
machine the threads also wait for each other. This script times the estimation of every
indicator overall and by group (what the estimate stage does) on the demo respondents and on a
synthetic 100,000-respondent sample, with the BLAS pool limited to 1 thread and at its default,
on an idle machine and with one core kept busy by another process. Wall and CPU time (all
threads of this process) per repetition, and the ratio default / one thread.

    .venv/bin/python benchmarks/bench_threads.py
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_info, threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapportage.statistics.design import Design  # noqa: E402
from rapportage.statistics.weighting import rake  # noqa: E402

from tests.test_reference_r import MARGINS, N  # noqa: E402

GROUPS = ["status", "gender", "ageband", "route"]


def demo() -> tuple[Design, list[str]]:
    data = pd.read_csv(ROOT / "tests" / "reference" / "demo_respondents.csv")
    w = rake(data, MARGINS, base_weights=np.full(len(data), N / len(data)), tolerance=1e-10, max_iterations=200).weights
    return Design(data, w, calibration=MARGINS, population_size=N), [c for c in data.columns if c.startswith("ind_")]


def large(n: int = 100_000) -> tuple[Design, list[str]]:
    rng = np.random.default_rng(7)
    data = pd.DataFrame({m: rng.choice(list(cats), n, p=np.array(list(cats.values())) / N) for m, cats in MARGINS.items()})
    for i in range(10):
        data[f"ind{i}"] = (rng.random(n) < 0.2 + 0.05 * (data["route"] == "B1") + 0.03 * i).astype(float)
    total = 4 * n  # a population four times the sample
    margins = {m: {c: v * total / N for c, v in cats.items()} for m, cats in MARGINS.items()}
    w = rake(data, margins, base_weights=np.full(n, total / n), tolerance=1e-10, max_iterations=200).weights
    return Design(data, w, calibration=margins, population_size=total), [f"ind{i}" for i in range(10)]


def work(design: Design, indicators: list[str]) -> None:
    for ind in indicators:
        design.mean(ind)
        for group in GROUPS:
            design.mean(ind, by=group)


def timed(design: Design, indicators: list[str], threads: int | None, repeat: int) -> tuple[float, float]:
    with threadpool_limits(limits=threads, user_api="blas"):
        work(design, indicators)  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(repeat):
            work(design, indicators)
        return (time.perf_counter() - wall) / repeat, (time.process_time() - cpu) / repeat


def busy(stop) -> None:
    while not stop.is_set():
        sum(range(10_000))


def main() -> None:
    default = max(info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas")
    print(f"BLAS: {', '.join(sorted({i['internal_api'] for i in threadpool_info() if i['user_api'] == 'blas'}))}, "
          f"default {default} threads, {multiprocessing.cpu_count()} cores")
    cases = {"demo (591 respondents)": (demo(), 20), "synthetic (100,000 respondents)": (large(), 2)}
    print(f"{'data':33} {'machine':6} {'threads':>7} {'wall s':>8} {'cpu s':>8}  default/1 (wall, cpu)")
    for load in ("idle", "busy"):
        stop = multiprocessing.Event()
        other = multiprocessing.Process(target=busy, args=(stop,)) if load == "busy" else None
        if other:
            other.start()
        try:
            for name, ((design, indicators), repeat) in cases.items():
                one = timed(design, indicators, 1, repeat)
                many = timed(design, indicators, None, repeat)
                for threads, (wall, cpu) in ((1, one), (default, many)):
                    print(f"{name:33} {load:6} {threads:>7} {wall:8.3f} {cpu:8.3f}"
                          + (f"  {many[0] / one[0]:.2f}x, {many[1] / one[1]:.2f}x" if threads == default else ""))
        finally:
            if other:
                stop.set()
                other.join()


if __name__ == "__main__":
    main()
