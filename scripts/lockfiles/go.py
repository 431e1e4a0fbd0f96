"""The Go stack's lockfiles: go.mod and go.sum, as `go mod tidy` writes them.

Each combination is tidied from the versions pinned in DIRECT for the modules its code
imports; then every module is raised to the highest version any combination selects,
and all are tidied again until they agree, so that one template line serves every
combination that has a module. Minimal version selection makes this deterministic:
the result moves only when a pin moves.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from lockfiles.core import Adapter, Combo, LockError, Locks, Solver, failure, parallel, run

GO_DIRECTIVE = "1.26.0"

# Every module the generated code imports directly, at the version it is pinned to.
DIRECT = {
    "github.com/aws/aws-lambda-go": "v1.55.1",
    "github.com/awslabs/aws-lambda-go-api-proxy": "v0.16.2",
    "github.com/gin-gonic/gin": "v1.12.0",
    "github.com/go-chi/chi/v5": "v5.5.0",
    "github.com/jackc/pgx/v5": "v5.12.0",
    "github.com/labstack/echo/v5": "v5.4.4",
    "github.com/pressly/goose/v3": "v3.29.0",
    "github.com/prometheus/client_golang": "v1.25.0",
    "github.com/redis/go-redis/v9": "v9.23.0",
    "github.com/rs/zerolog": "v1.35.1",
    "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp": "v0.72.0",
    "go.opentelemetry.io/otel": "v1.47.0",
    "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp": "v1.47.0",
    "go.opentelemetry.io/otel/sdk": "v1.47.0",
    "go.opentelemetry.io/otel/trace": "v1.47.0",
}

# The installed toolchain only; the module cache and build cache are the user's, shared
# with the toolchain tests.
ENV = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}
MAX_ROUNDS = 10

Require = tuple[str, str, bool]  # module, version, indirect

_SEMVER = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")
_IMPORT = re.compile(r'^\s*(?:import\s+)?(?:[\w.]+\s+)?"([^"]+)"$', re.MULTILINE)


def semver_key(version: str) -> tuple[object, ...]:
    """Sort key with Go's semver precedence (build metadata ignored)."""
    match = _SEMVER.match(version)
    if not match:
        raise LockError(f"not a semantic version: {version}")
    major, minor, patch, pre = match.groups()
    # A release sorts after all of its prereleases.
    pre_key: tuple[object, ...] = (1,)
    if pre:
        pre_key = (0, tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")))
    return (int(major), int(minor), int(patch), pre_key)


def sum_key(line: str) -> tuple[object, ...]:
    """go.sum order: module path, then version, the module's go.mod after the module."""
    path, version, _ = line.split(" ", 2)
    version, _, file = version.partition("/")
    return (path, semver_key(version), file)


def requires(go_mod: str) -> list[Require]:
    """Every require of a go.mod, in file order."""
    result = []
    for line in go_mod.splitlines():
        words = line.removeprefix("require ").split()
        if len(words) >= 2 and words[1].startswith("v") and "." in words[0]:
            result.append((words[0], words[1], line.endswith("// indirect")))
    return result


def _require_line(module: str, version: str, indirect: bool) -> str:
    return f"\t{module} {version}" + (" // indirect" if indirect else "")


# --- resolving ------------------------------------------------------------------------


def _tidy(project: Path, pinned: Sequence[Require]) -> dict[str, str]:
    """go.mod with exactly ``pinned``, tidied; the go.mod and go.sum tidy writes."""
    go_mod = project / "go.mod"
    module = go_mod.read_text().split("\n", 1)[0].removeprefix("module ").strip()
    lines = [f"module {module}", "", f"go {GO_DIRECTIVE}", ""]
    for indirect in (False, True):
        block = [_require_line(*r) for r in pinned if r[2] == indirect]
        lines += ["require (", *block, ")", ""] if block else []
    go_mod.write_text("\n".join(lines))
    (project / "go.sum").unlink(missing_ok=True)
    run(["go", "mod", "tidy"], project, ENV)
    go_sum = project / "go.sum"
    return {"go.mod": go_mod.read_text(), "go.sum": go_sum.read_text() if go_sum.exists() else ""}


def _imported_pins(project: Path) -> list[Require]:
    """The pinned modules whose packages the project's Go files import."""
    imports: set[str] = set()
    for source in project.rglob("*.go"):
        imports.update(_IMPORT.findall(source.read_text()))
    return [
        (module, version, False)
        for module, version in sorted(DIRECT.items())
        if any(imp == module or imp.startswith(module + "/") for imp in imports)
    ]


def resolve(projects: Mapping[Combo, Path], name: str, upgrade: bool) -> Locks:
    """Tidy every combination until all select the same version of each module.

    ``upgrade`` changes nothing: the versions follow DIRECT.
    """
    pins = {combo: _imported_pins(project) for combo, project in projects.items()}
    for _ in range(MAX_ROUNDS):
        jobs = [(projects[combo], pins[combo]) for combo in projects]
        results = parallel(lambda job: _tidy(*job), jobs)
        locks = dict(zip(projects, results, strict=True))
        selected = {combo: requires(files["go.mod"]) for combo, files in locks.items()}
        highest: dict[str, str] = {}
        for module, version, _ in (r for reqs in selected.values() for r in reqs):
            if module not in highest or semver_key(version) > semver_key(highest[module]):
                highest[module] = version
        if all(v == highest[m] for reqs in selected.values() for m, v, _ in reqs):
            _check_direct(selected)
            return locks
        pins = {combo: [(m, highest[m], i) for m, _, i in reqs] for combo, reqs in selected.items()}
    raise LockError(f"module versions did not settle after {MAX_ROUNDS} rounds of go mod tidy")


def _check_direct(selected: Mapping[Combo, list[Require]]) -> None:
    for combo, reqs in selected.items():
        for module, version, indirect in reqs:
            if not indirect and DIRECT.get(module) != version:
                want = DIRECT.get(module, "a pin in DIRECT")
                raise LockError(
                    f"{'-'.join(combo)}: {module} is required at {version}, want {want}"
                )


# --- templates ------------------------------------------------------------------------


def _require_block(blocks: dict[Combo, list[str]], solver: Solver) -> list[str]:
    """One require block as tidy writes it: `require (...)` for several lines, the
    one-line `require module version` for one, nothing for none."""
    multi = {combo for combo, block in blocks.items() if len(block) > 1}
    branches: list[tuple[set[Combo], list[str]]] = []
    if multi:
        union = sorted({line for combo in multi for line in blocks[combo]}, key=str.split)
        body = solver.guarded(
            ((line, {c for c in multi if line in blocks[c]}) for line in union), multi
        )
        branches.append((multi, ["", "require (", *body, ")"]))
    singles: dict[str, set[Combo]] = {}
    for combo, block in blocks.items():
        if len(block) == 1:
            singles.setdefault(block[0], set()).add(combo)
    branches += [
        (combos, ["", "require " + line.strip()]) for line, combos in sorted(singles.items())
    ]
    return solver.choose(branches)


def templates(locks: Locks, solver: Solver, name: str) -> dict[str, str]:
    go_mod = ["module {{ go_module }}", "", f"go {GO_DIRECTIVE}"]
    for indirect in (False, True):
        blocks = {
            combo: [_require_line(*r) for r in requires(files["go.mod"]) if r[2] == indirect]
            for combo, files in locks.items()
        }
        go_mod += _require_block(blocks, solver)
    has: dict[str, set[Combo]] = {}
    for combo, files in locks.items():
        for line in files["go.sum"].splitlines():
            has.setdefault(line, set()).add(combo)
    go_sum = solver.guarded((line, has[line]) for line in sorted(has, key=sum_key))
    return {"go.mod": "\n".join(go_mod) + "\n", "go.sum": "\n".join(go_sum) + "\n"}


def frozen(project: Path) -> str | None:
    return failure(["go", "mod", "tidy", "-diff"], project, {**ENV, "GOFLAGS": "-mod=readonly"})


ADAPTER = Adapter(
    stack="go",
    lockfiles=("go.mod", "go.sum"),
    tool="go mod tidy",
    pins="scripts/lockfiles/go.py",
    resolve=resolve,
    templates=templates,
    frozen=frozen,
)
