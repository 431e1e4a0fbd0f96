"""Wall time and peak memory of `scaffold new`, `scaffold list` and plain `copier copy`.

Renders the same template with the same answers both ways, several times each, and
prints one line per command: median and best wall time, and peak resident memory.

    python scripts/bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _measure(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Run argv in a fresh child; return (seconds, peak RSS in MiB of that child)."""
    wrapper = (
        "import resource, subprocess, sys;"
        "subprocess.run(sys.argv[1:], check=True,"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", wrapper, *argv], cwd=cwd, check=True, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    return elapsed, int(out.stdout.strip()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = ["-d", "project_name=Orders API"]
    commands = {
        "scaffold new (defaults)": lambda d: [
            str(BIN / "scaffold"),
            "new",
            str(d / "svc"),
            "--defaults",
            "--vcs-ref",
            "HEAD",
            "--template",
            str(REPO_ROOT),
        ],
        "copier copy (same answers)": lambda d: [
            str(BIN / "copier"),
            "copy",
            "--defaults",
            "--vcs-ref",
            "HEAD",
            "--quiet",
            *data,
            str(REPO_ROOT),
            str(d / "svc"),
        ],
        "scaffold list": lambda d: [str(BIN / "scaffold"), "list"],
        "scaffold list --json": lambda d: [str(BIN / "scaffold"), "list", "--json"],
    }
    print(f"{'command':<28} {'median s':>9} {'best s':>8} {'peak MiB':>9}   ({args.runs} runs)")
    for label, argv_for in commands.items():
        times, peaks = [], []
        for _ in range(args.runs):
            work = Path(tempfile.mkdtemp())
            try:
                seconds, peak = _measure(argv_for(work), work)
            finally:
                shutil.rmtree(work)
            times.append(seconds)
            peaks.append(peak)
        print(f"{label:<28} {statistics.median(times):>9.3f} {min(times):>8.3f} {max(peaks):>9.1f}")


if __name__ == "__main__":
    main()
