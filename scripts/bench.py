"""Wall time and peak memory of scaffold's commands next to plain copier's.

Renders the same template with the same answers both ways (`scaffold new` and
`copier copy`), and updates the same committed project from one template version to
the next both ways (`scaffold update` and `copier update`), several times each. Prints
one line per command: median and best wall time, and peak resident memory.

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


def _git(cwd: Path, *args: str) -> None:
    identity = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(["git", *identity, *args], cwd=cwd, check=True, capture_output=True)


def _two_versions(root: Path) -> Path:
    """A clone of this repository's committed template, tagged v1 and, one change later, v2."""
    template = root / "template"
    _git(root, "clone", "--quiet", str(REPO_ROOT), str(template))
    _git(template, "tag", "bench-v1")
    makefile = template / "templates/go/Makefile.jinja"
    makefile.write_text(makefile.read_text().replace("TAG ?= dev", "TAG ?= local"))
    (template / "templates/go/CONTRIBUTING.md").write_text("Run make lint test.\n")
    _git(template, "add", "--all")
    _git(template, "commit", "--quiet", "--message", "v2")
    _git(template, "tag", "bench-v2")
    return template


def _project_at_v1(template: Path, work: Path) -> None:
    scaffold = [str(BIN / "scaffold"), "new", str(work / "svc"), "--defaults"]
    subprocess.run(
        [*scaffold, "--template", str(template), "--vcs-ref", "bench-v1"],
        check=True,
        capture_output=True,
    )
    _git(work / "svc", "init", "--quiet")
    _git(work / "svc", "add", "--all")
    _git(work / "svc", "commit", "--quiet", "--message", "rendered")


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
    versions_root = Path(tempfile.mkdtemp())
    template = _two_versions(versions_root)
    # Both update to the same version; scaffold also checks the tree and lists conflicts.
    updates = {
        "scaffold update": lambda d: [str(BIN / "scaffold"), "update", "--vcs-ref", "bench-v2"],
        "copier update": lambda d: [
            str(BIN / "copier"),
            "update",
            "--defaults",
            "--quiet",
            "--vcs-ref",
            "bench-v2",
        ],
    }
    print(f"{'command':<28} {'median s':>9} {'best s':>8} {'peak MiB':>9}   ({args.runs} runs)")
    for label, argv_for in {**commands, **updates}.items():
        times, peaks = [], []
        for _ in range(args.runs):
            work = Path(tempfile.mkdtemp())
            try:
                if label in updates:
                    _project_at_v1(template, work)
                seconds, peak = _measure(argv_for(work), work / "svc" if label in updates else work)
            finally:
                shutil.rmtree(work)
            times.append(seconds)
            peaks.append(peak)
        print(f"{label:<28} {statistics.median(times):>9.3f} {min(times):>8.3f} {max(peaks):>9.1f}")
    shutil.rmtree(versions_root)


if __name__ == "__main__":
    main()
