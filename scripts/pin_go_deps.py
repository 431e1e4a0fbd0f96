"""Pin the Go template's dependencies: write templates/go/go.mod.jinja and go.sum.jinja.

Renders every framework x architecture x database x cache combination of the Go stack, tidies
each one with the direct dependency versions pinned in DIRECT, raises every module
to the highest version any combination selects until all combinations agree, then
writes go.mod/go.sum templates in which each line is guarded by the Jinja condition
of the combinations that need it. The result is verified by rendering every
combination again: go.mod and go.sum must be exactly what `go mod tidy` writes.

Rerun after changing a version below (it needs Go and the module proxy):

    python scripts/pin_go_deps.py           # rewrite the templates
    python scripts/pin_go_deps.py --check   # only verify they are up to date
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = REPO_ROOT / "templates" / "go"

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
    "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp": "v0.72.0",
    "go.opentelemetry.io/otel": "v1.47.0",
    "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp": "v1.47.0",
    "go.opentelemetry.io/otel/sdk": "v1.47.0",
    "go.opentelemetry.io/otel/trace": "v1.47.0",
}

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "framework": ("stdlib", "gin", "echo", "chi"),
    "architecture": ("monolith", "microservice", "serverless"),
    "database": ("postgres", "none"),
    "cache": ("redis", "none"),
}

Combo = tuple[str, ...]  # one value per dimension, in DIMENSIONS order
COMBOS: list[Combo] = list(itertools.product(*DIMENSIONS.values()))

GO_ENV = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}


def combo_name(combo: Combo) -> str:
    return "-".join(combo)


# --- versions -------------------------------------------------------------------

_SEMVER = re.compile(r"^v(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


def semver_key(version: str) -> tuple[object, ...]:
    """Sort key with Go's semver precedence (build metadata ignored)."""
    match = _SEMVER.match(version)
    if not match:
        raise ValueError(f"not a semantic version: {version}")
    major, minor, patch, pre = match.groups()
    # A release sorts after all of its prereleases.
    pre_key: tuple[object, ...] = (1,)
    if pre:
        parts: list[tuple[int, int | str]] = [
            (0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")
        ]
        pre_key = (0, tuple(parts))
    return (int(major), int(minor), int(patch), pre_key)


def sum_key(line: str) -> tuple[object, ...]:
    """go.sum order: module path, then version, the module's go.mod after the module."""
    path, version, _ = line.split(" ", 2)
    version, _, file = version.partition("/")
    return (path, semver_key(version), file)


# --- go.mod ---------------------------------------------------------------------


@dataclass
class Tidied:
    """One combination after `go mod tidy`."""

    go_mod: str
    go_sum: str

    def requires(self) -> list[tuple[str, str, bool]]:
        """(module, version, indirect) of every require, in file order."""
        result = []
        for line in self.go_mod.splitlines():
            words = line.removeprefix("require ").split()
            if len(words) >= 2 and words[1].startswith("v") and "." in words[0]:
                result.append((words[0], words[1], line.endswith("// indirect")))
        return result

    def block(self, indirect: bool) -> list[str]:
        """The require lines of the direct or the indirect block, tab-indented."""
        return [
            f"\t{mod} {ver}" + (" // indirect" if ind else "")
            for mod, ver, ind in self.requires()
            if ind == indirect
        ]


def go_mod_text(module: str, requires: Sequence[tuple[str, str, bool]]) -> str:
    lines = [f"module {module}", "", f"go {GO_DIRECTIVE}", ""]
    for indirect in (False, True):
        block = [
            f"\t{m} {v}" + (" // indirect" if i else "") for m, v, i in requires if i == indirect
        ]
        if block:
            lines += ["require (", *block, ")", ""]
    return "\n".join(lines)


def run_go(args: Sequence[str], cwd: Path) -> None:
    result = subprocess.run(
        ["go", *args], cwd=cwd, env=GO_ENV, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"go {' '.join(args)} failed in {cwd}:\n{result.stderr}")


def tidy(project: Path, module: str, requires: Sequence[tuple[str, str, bool]]) -> Tidied:
    (project / "go.mod").write_text(go_mod_text(module, requires))
    (project / "go.sum").unlink(missing_ok=True)
    run_go(["mod", "tidy"], project)
    go_sum = project / "go.sum"
    return Tidied((project / "go.mod").read_text(), go_sum.read_text() if go_sum.exists() else "")


_IMPORT = re.compile(r'^\s*(?:import\s+)?(?:[\w.]+\s+)?"([^"]+)"$', re.MULTILINE)


def imported_direct_modules(project: Path) -> list[str]:
    """The pinned modules whose packages the project's Go files import."""
    imports: set[str] = set()
    for source in project.rglob("*.go"):
        imports.update(_IMPORT.findall(source.read_text()))
    return sorted(
        module
        for module in DIRECT
        if any(imp == module or imp.startswith(module + "/") for imp in imports)
    )


def render(combo: Combo, parent: Path) -> Path:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from scaffold.render import new_project

    answers = {"project_name": "Pin Deps", **dict(zip(DIMENSIONS, combo, strict=True))}
    # vcs_ref HEAD renders the working tree, uncommitted changes included.
    dest = parent / combo_name(combo)
    return new_project(dest, answers, template=str(REPO_ROOT), vcs_ref="HEAD").dest


def module_path(project: Path) -> str:
    return (project / "go.mod").read_text().split("\n", 1)[0].removeprefix("module ").strip()


def tidy_all(
    projects: dict[Combo, Path], seeds: dict[Combo, list[tuple[str, str, bool]]]
) -> dict[Combo, Tidied]:
    def one(combo: Combo) -> Tidied:
        project = projects[combo]
        return tidy(project, module_path(project), seeds[combo])

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(projects, pool.map(one, projects), strict=True))


def resolve(projects: dict[Combo, Path]) -> dict[Combo, Tidied]:
    """Tidy every combination until they all select the same version of each module."""
    seeds = {
        combo: [(m, DIRECT[m], False) for m in imported_direct_modules(project)]
        for combo, project in projects.items()
    }
    for _ in range(10):
        results = tidy_all(projects, seeds)
        highest: dict[str, str] = {}
        for tidied in results.values():
            for mod, ver, _ in tidied.requires():
                if mod not in highest or semver_key(ver) > semver_key(highest[mod]):
                    highest[mod] = ver
        if all(
            ver == highest[mod] for tidied in results.values() for mod, ver, _ in tidied.requires()
        ):
            check_direct_pins(results)
            return results
        seeds = {
            combo: [(mod, highest[mod], ind) for mod, _, ind in tidied.requires()]
            for combo, tidied in results.items()
        }
    sys.exit("module versions did not settle after 10 rounds of go mod tidy")


def check_direct_pins(results: dict[Combo, Tidied]) -> None:
    for combo, tidied in results.items():
        for mod, ver, indirect in tidied.requires():
            if not indirect and DIRECT.get(mod) != ver:
                want = DIRECT.get(mod, "a pin in DIRECT")
                sys.exit(f"{combo_name(combo)}: {mod} is required at {ver}, want {want}")


# --- conditions -------------------------------------------------------------------

# A term fixes some dimensions: (dimension index, operator, value).
Literal = tuple[int, str, str]
Term = tuple[Literal, ...]


def _literal_options(index: int, values: tuple[str, ...]) -> list[Literal | None]:
    options: list[Literal | None] = [None, *((index, "==", v) for v in values)]
    if len(values) > 2:
        options += [(index, "!=", v) for v in values]
    return options


TERMS: list[Term] = sorted(
    (
        tuple(lit for lit in choice if lit is not None)
        for choice in itertools.product(
            *(_literal_options(i, vals) for i, vals in enumerate(DIMENSIONS.values()))
        )
    ),
    key=len,
)


def _matches(term: Term, combo: Combo) -> bool:
    return all((combo[i] == v) == (op == "==") for i, op, v in term)


def _cost(terms: Iterable[Term]) -> tuple[int, int]:
    """Fewer terms first, then fewer literals."""
    terms = list(terms)
    return (len(terms), sum(len(t) for t in terms))


@functools.cache
def condition(true: frozenset[Combo], false: frozenset[Combo]) -> str | None:
    """The shortest `or` of `and`-terms that holds on ``true`` and fails on ``false``.

    Combinations in neither set do not matter. None means "always".
    """
    if not false:
        return None
    # Terms that never hold on ``false``; of those that hold on the same part of
    # ``true``, the one with the fewest literals; then only the maximal ones.
    by_cover: dict[frozenset[Combo], Term] = {}
    for term in TERMS:
        if any(_matches(term, c) for c in false):
            continue
        cover = frozenset(c for c in true if _matches(term, c))
        if cover and (cover not in by_cover or len(term) < len(by_cover[cover])):
            by_cover[cover] = term
    primes = [
        (cover, term)
        for cover, term in by_cover.items()
        if not any(cover < other for other in by_cover)
    ]
    best: tuple[Term, ...] | None = None
    # An exact search while it is cheap; combinations of many terms are rare.
    for size in range(1, min(len(primes), 4) + 1):
        for choice in itertools.combinations(primes, size):
            if frozenset().union(*(cover for cover, _ in choice)) != true:
                continue
            terms = tuple(term for _, term in choice)
            if best is None or _cost(terms) < _cost(best):
                best = terms
        if best is not None:
            break
    if best is None:
        # Greedy set cover: the term that covers most of what is left.
        left, chosen = set(true), []
        while left:
            cover, term = max(primes, key=lambda p: (len(p[0] & left), -len(p[1])))
            if not cover & left:
                raise AssertionError(f"no condition separates {true} from {false}")
            chosen.append(term)
            left -= cover
        best = tuple(chosen)
    names = list(DIMENSIONS)
    terms = [" and ".join(f"{names[i]} {op} '{v}'" for i, op, v in term) for term in sorted(best)]
    if len(terms) > 1:
        terms = [f"({t})" if " and " in t else t for t in terms]
    return " or ".join(terms)


def guarded(lines: Iterable[str], has: Callable[[str], set[Combo]], among: set[Combo]) -> list[str]:
    """Template lines: consecutive lines that share a condition share one {% if %}."""
    out: list[str] = []
    current: str | None = None
    for line in lines:
        combos = has(line) & among
        cond = condition(frozenset(combos), frozenset(among - combos))
        if cond != current:
            if current is not None:
                out.append("{% endif %}")
            if cond is not None:
                out.append(f"{{% if {cond} %}}")
            current = cond
        out.append(line)
    if current is not None:
        out.append("{% endif %}")
    return out


# --- templates --------------------------------------------------------------------

HEADER = (
    "{# Written by scripts/pin_go_deps.py from the versions pinned there:"
    " change them there and rerun it. #}"
)


def require_block(blocks: dict[Combo, list[str]]) -> list[str]:
    """Template lines of one require block: a `require (...)` block for combinations
    with several lines, the one-line `require mod version` form tidy writes for a
    single line, nothing for none."""
    multi = {combo for combo, block in blocks.items() if len(block) > 1}
    branches: list[tuple[set[Combo], list[str]]] = []
    if multi:
        union = sorted({line for combo in multi for line in blocks[combo]}, key=str.split)
        body = guarded(union, lambda line: {c for c in multi if line in blocks[c]}, multi)
        branches.append((multi, ["", "require (", *body, ")"]))
    singles: dict[str, set[Combo]] = {}
    for combo, block in blocks.items():
        if len(block) == 1:
            singles.setdefault(block[0], set()).add(combo)
    for line, combos in sorted(singles.items()):
        branches.append((combos, ["", "require " + line.strip()]))

    out: list[str] = []
    undecided, opened = set(blocks), False
    for combos, body in branches:
        cond = condition(frozenset(combos), frozenset(undecided - combos))
        if cond is None:
            out += ["{% else %}", *body] if opened else body
            break
        out += [f"{{% {'elif' if opened else 'if'} {cond} %}}", *body]
        undecided -= combos
        opened = True
    if opened:
        out.append("{% endif %}")
    return out


def go_mod_template(results: dict[Combo, Tidied]) -> str:
    out = [HEADER, "module {{ go_module }}", "", f"go {GO_DIRECTIVE}"]
    for indirect in (False, True):
        out += require_block({combo: tidied.block(indirect) for combo, tidied in results.items()})
    return "\n".join(out) + "\n"


def go_sum_template(results: dict[Combo, Tidied]) -> str:
    has: dict[str, set[Combo]] = {}
    for combo, tidied in results.items():
        for line in tidied.go_sum.splitlines():
            has.setdefault(line, set()).add(combo)
    lines = sorted(has, key=sum_key)
    return "\n".join([HEADER, *guarded(lines, has.__getitem__, set(COMBOS))]) + "\n"


# --- main -------------------------------------------------------------------------


def verify(results: dict[Combo, Tidied], workdir: Path) -> list[str]:
    """Render every combination with the templates; return what differs from tidy's."""
    problems = []
    for combo in COMBOS:
        project = render(combo, workdir)
        for name, want in (("go.mod", results[combo].go_mod), ("go.sum", results[combo].go_sum)):
            got = (project / name).read_text()
            if got != want:
                problems.append(f"{combo_name(combo)}: rendered {name} differs from go mod tidy's")
        check = subprocess.run(
            ["go", "mod", "tidy", "-diff"],
            cwd=project,
            env={**GO_ENV, "GOFLAGS": "-mod=readonly"},
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            problems.append(
                f"{combo_name(combo)}: go mod tidy -diff:\n{check.stdout}{check.stderr}"
            )
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify, do not write")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pin-go-deps-") as tmp:
        work = Path(tmp)
        projects = {combo: render(combo, work / "tidy") for combo in COMBOS}
        results = resolve(projects)
        if not args.check:
            (TEMPLATE_DIR / "go.mod.jinja").write_text(go_mod_template(results))
            (TEMPLATE_DIR / "go.sum.jinja").write_text(go_sum_template(results))
        problems = verify(results, work / "verify")
    if problems:
        sys.exit("\n".join(problems))
    print(f"go.mod and go.sum match go mod tidy for all {len(COMBOS)} combinations")


if __name__ == "__main__":
    main()
