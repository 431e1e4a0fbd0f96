"""One lockfile core for every stack: combinations, conditions, renders and the check.

A stack's lockfiles (go.mod and go.sum, uv.lock, ...) are templates like every other
file, but nobody writes them by hand: for every combination of the answers a
dependency can hang on (framework x architecture x database x cache, the valid ones
only, as `scaffold.catalog` offers them), the core renders the project, lets the
stack's package manager resolve it, and writes templates in which each line or block
is guarded by the Jinja condition of the combinations that have it. The check renders
every combination again and requires each rendered lockfile to be exactly what the
package manager writes for it, and the stack's frozen install check to accept it.

The adapter interface
---------------------
What differs between stacks is an `Adapter`, one small module per stack:

``stack``
    The catalog's name of the stack; its combinations come from the catalog.
``lockfiles``
    The files the templates render, relative to the project; their templates are
    ``templates/<stack>/<file>.jinja``.
``tool`` and ``pins``
    The command that writes the lockfiles, and where the versions are pinned: both are
    named in the messages and in the comment at the top of each template.
``resolve(projects, name, upgrade)``
    Runs the tool in every rendered project (``projects`` maps each combination to its
    directory, rendered with the project slug ``name``) and returns each combination's
    lockfiles as the tool wrote them. The rendered lockfiles are in place when it is
    called: a tool that keeps the versions of an existing lockfile (uv, npm, cargo)
    should start from them, so that a check does not fail on every new upstream
    release, and discard them only when ``upgrade`` asks for the newest versions.
``templates(locks, solver, name)``
    Turns what ``resolve`` returned into the template text of each lockfile (without
    the header comment, which the core adds), using the `Solver` for every condition.
``frozen(project)``
    The stack's own check of a project as rendered (``go mod tidy -diff``,
    ``uv lock --locked``, ``cargo metadata --locked``): None when it passes, else what
    it said. `failure` runs such a command.
``names``
    The project slugs every combination is checked under; the first is the one the
    templates are resolved with. A lockfile that sorts the project's own entry among
    its dependencies (uv.lock, Cargo.lock) names one slug that sorts first and one
    that sorts last as well: `packages` handles that layout.

The `Solver` gives adapters the conditions: ``condition`` (the shortest Jinja test
that holds exactly for a set of combinations, combinations outside the catalog's
valid set being free), ``guarded`` (chunks of one or more lines, consecutive ones with
the same condition under one ``{% if %}``) and ``choose`` (an ``if``/``elif``/``else``
chain picking one variant of a block). JSON (package-lock.json) separates entries with
commas and leaves the last without one; cut it so that every guarded chunk starts with
the line that closes the entry before it (``    },``) and ends before its own closing
line, which follows the last entry unguarded, and pick small maps of one-line entries
(the root package's dependencies) whole with ``choose``.
"""

from __future__ import annotations

import difflib
import itertools
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from scaffold import catalog  # noqa: E402

Combo = tuple[str, ...]  # one value per dimension of its Universe
Locks = dict[Combo, dict[str, str]]  # each combination's lockfiles: file name -> text

# Lockfile tools mostly wait on the network and the disk: more of them than cores.
TOOL_WORKERS = 4


class LockError(Exception):
    """A tool failed or the combinations cannot share one template."""


# --- combinations -------------------------------------------------------------------


@dataclass(frozen=True)
class Universe:
    """The valid combinations of one stack, over the answers a dependency can hang on.

    The CI provider and the free-text answers pull in no dependency, so they are left
    out; a framework that lacks an architecture lacks its combinations here too.
    """

    stack: str
    dimensions: tuple[str, ...]
    combos: tuple[Combo, ...]

    @classmethod
    def of(cls, stack: str) -> Universe:
        offered = [c for c in catalog.combinations() if c.stack == stack]
        if not offered:
            raise LockError(f"the catalog offers no stack {stack!r}")
        combos = tuple(
            (c.framework, c.architecture, database, cache)
            for c in offered
            for database in catalog.DATABASES
            for cache in catalog.CACHES
        )
        return cls(stack, ("framework", "architecture", "database", "cache"), combos)

    def values(self, index: int) -> tuple[str, ...]:
        """The values one dimension takes, in the catalog's order."""
        return tuple(dict.fromkeys(combo[index] for combo in self.combos))

    def answers(self, combo: Combo) -> dict[str, str]:
        return dict(zip(self.dimensions, combo, strict=True))

    def label(self, combo: Combo) -> str:
        return "-".join(combo)


# --- conditions ---------------------------------------------------------------------

# A literal tests one dimension: (dimension index, "==" or "!=", value); a term is an
# `and` of literals on distinct dimensions.
Literal = tuple[int, str, str]
Term = tuple[Literal, ...]


class Solver:
    """Jinja conditions over one universe, each solved once.

    A condition is an `or` of `and`-terms. Only the universe's combinations matter: one
    that the catalog does not offer may go either way, which keeps the conditions short
    when not every framework has every architecture.
    """

    # Choices of prime terms the exact search may try for one number of terms; beyond
    # that a greedy cover answers (longer conditions, never wrong ones).
    EXACT_LIMIT = 50_000
    EXACT_TERMS = 4

    def __init__(self, universe: Universe) -> None:
        self.universe = universe
        self._bit = {combo: 1 << i for i, combo in enumerate(universe.combos)}
        options: list[list[Literal | None]] = []
        for index in range(len(universe.dimensions)):
            values = universe.values(index)
            if len(values) < 2:
                continue  # a dimension with one value tells no combinations apart
            literals: list[Literal | None] = [None, *((index, "==", v) for v in values)]
            if len(values) > 2:
                literals += [(index, "!=", v) for v in values]
            options.append(literals)
        terms = sorted(
            (
                tuple(lit for lit in choice if lit is not None)
                for choice in itertools.product(*options)
            ),
            key=len,
        )
        # Each term with the combinations it holds on, as a bit mask.
        self._terms = [
            (term, self._mask(c for c in universe.combos if _holds(term, c))) for term in terms
        ]
        self._solved: dict[tuple[int, int], str | None] = {}

    def _mask(self, combos: Iterable[Combo]) -> int:
        mask = 0
        for combo in combos:
            mask |= self._bit[combo]
        return mask

    def condition(self, true: AbstractSet[Combo], false: AbstractSet[Combo]) -> str | None:
        """The shortest condition that holds on ``true`` and fails on ``false`` (a short
        one where the exact search would grow too large).

        Combinations in neither set do not matter. None means "always".
        """
        key = (self._mask(true), self._mask(false))
        if key not in self._solved:
            self._solved[key] = self._solve(*key)
        return self._solved[key]

    def _solve(self, true: int, false: int) -> str | None:
        if not false:
            return None
        if not true:
            raise LockError("a guarded line that no combination has")
        # Terms that never hold on ``false``; of those that hold on the same part of
        # ``true``, the one with the fewest literals; then only the maximal ones.
        by_cover: dict[int, Term] = {}
        for term, holds in self._terms:
            cover = holds & true
            if holds & false or not cover:
                continue
            if cover not in by_cover or len(term) < len(by_cover[cover]):
                by_cover[cover] = term
        primes = [
            (cover, term)
            for cover, term in by_cover.items()
            if not any(cover != other and cover & other == cover for other in by_cover)
        ]
        best = self._exact(primes, true) or self._greedy(primes, true)
        names = self.universe.dimensions
        texts = [
            " and ".join(f"{names[i]} {op} '{v}'" for i, op, v in term) for term in sorted(best)
        ]
        if len(texts) > 1:
            texts = [f"({t})" if " and " in t else t for t in texts]
        return " or ".join(texts)

    def _exact(self, primes: list[tuple[int, Term]], true: int) -> tuple[Term, ...] | None:
        """The fewest terms, then the fewest literals, while the search stays small."""
        for size in range(1, min(len(primes), self.EXACT_TERMS) + 1):
            if math.comb(len(primes), size) > self.EXACT_LIMIT:
                return None
            best: tuple[Term, ...] | None = None
            for choice in itertools.combinations(primes, size):
                union = 0
                for cover, _ in choice:
                    union |= cover
                if union != true:
                    continue
                terms = tuple(term for _, term in choice)
                if best is None or _literals(terms) < _literals(best):
                    best = terms
            if best is not None:
                return best
        return None

    @staticmethod
    def _greedy(primes: list[tuple[int, Term]], true: int) -> tuple[Term, ...]:
        """Set cover: the term that covers most of what is left, shortest first."""
        left, chosen = true, []
        while left:
            cover, term = max(primes, key=lambda p: ((p[0] & left).bit_count(), -len(p[1])))
            if not cover & left:
                raise LockError("no condition tells the combinations apart")
            chosen.append(term)
            left &= ~cover
        return tuple(chosen)

    def guarded(
        self,
        chunks: Iterable[tuple[str, AbstractSet[Combo]]],
        among: AbstractSet[Combo] | None = None,
    ) -> list[str]:
        """Template lines for (text, combinations that have it) in order: each text under
        its condition, consecutive texts with the same condition under one {% if %}."""
        among = set(self.universe.combos) if among is None else set(among)
        out: list[str] = []
        current: str | None = None
        for text, combos in chunks:
            has = set(combos) & among
            cond = self.condition(has, among - has)
            if cond != current:
                if current is not None:
                    out.append("{% endif %}")
                if cond is not None:
                    out.append(f"{{% if {cond} %}}")
                current = cond
            out.append(text)
        if current is not None:
            out.append("{% endif %}")
        return out

    def choose(
        self,
        branches: Iterable[tuple[AbstractSet[Combo], Sequence[str]]],
        among: AbstractSet[Combo] | None = None,
    ) -> list[str]:
        """One {% if %}/{% elif %}/{% else %} chain: each branch's lines for its
        combinations, in order; combinations of no branch get nothing."""
        undecided = set(self.universe.combos) if among is None else set(among)
        out: list[str] = []
        opened = False
        for combos, lines in branches:
            cond = self.condition(combos, undecided - set(combos))
            if cond is None:
                out += ["{% else %}", *lines] if opened else lines
                break
            out += [f"{{% {'elif' if opened else 'if'} {cond} %}}", *lines]
            undecided -= set(combos)
            opened = True
        if opened:
            out.append("{% endif %}")
        return out


def _holds(term: Term, combo: Combo) -> bool:
    return all((combo[i] == v) == (op == "==") for i, op, v in term)


def _literals(terms: tuple[Term, ...]) -> int:
    return sum(len(term) for term in terms)


# --- adapters -----------------------------------------------------------------------


@dataclass(frozen=True)
class Adapter:
    """How one stack resolves its lockfiles; see the module's docstring."""

    stack: str
    lockfiles: tuple[str, ...]
    tool: str
    pins: str
    resolve: Callable[[Mapping[Combo, Path], str, bool], Locks]
    templates: Callable[[Locks, Solver, str], dict[str, str]]
    frozen: Callable[[Path], str | None]
    names: tuple[str, ...] = ("orders-api",)

    def header(self) -> str:
        return (
            f"{{# Written by `python scripts/lock.py {self.stack}` ({self.tool} on every"
            f" combination) from the versions pinned in {self.pins}:"
            " change them there and rerun it. #}"
        )


# --- running tools ------------------------------------------------------------------

T = TypeVar("T")
R = TypeVar("R")


def parallel(function: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``function`` over ``items`` on a few threads, results in order."""
    with ThreadPoolExecutor(max_workers=TOOL_WORKERS) as pool:
        return list(pool.map(function, items))


def run(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> None:
    """Run a tool; raise LockError with its output unless it succeeds."""
    if (output := failure(argv, cwd, env)) is not None:
        raise LockError(f"{' '.join(argv)} failed in {cwd}:\n{output}")


def failure(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> str | None:
    """Run a check: None when it exits 0, else what it printed."""
    result = subprocess.run(
        list(argv), cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    if result.returncode == 0:
        return None
    return f"{result.stdout}{result.stderr}".strip() or f"exit status {result.returncode}"


# --- rendering ----------------------------------------------------------------------


def snapshot(dest: Path) -> Path:
    """The template as it is in the working tree, uncommitted changes included, as a
    plain folder (what a wheel ships): renders read it without cloning the repository."""
    dest.mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "copier.yml", dest / "copier.yml")
    shutil.copytree(REPO_ROOT / "templates", dest / "templates")
    return dest


def _render(job: tuple[Path, dict[str, str], Path]) -> Path:
    from scaffold.render import new_project

    template, answers, dest = job
    return new_project(dest, answers, template=str(template)).dest


def render_all(universe: Universe, name: str, template: Path, parent: Path) -> dict[Combo, Path]:
    """Render every combination with the project slug ``name``, on every core."""
    jobs = [
        (
            template,
            {
                "project_name": name.replace("-", " ").title(),
                "project_slug": name,
                "stack": universe.stack,
                **universe.answers(combo),
            },
            parent / universe.label(combo),
        )
        for combo in universe.combos
    ]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return dict(zip(universe.combos, pool.map(_render, jobs), strict=True))


# --- writing and checking -----------------------------------------------------------


def lock(adapter: Adapter, *, write: bool, upgrade: bool = False) -> list[str]:
    """Write the stack's lockfile templates (unless only checking), then check them;
    return the problems found."""
    universe = Universe.of(adapter.stack)
    with tempfile.TemporaryDirectory(prefix=f"lock-{adapter.stack}-") as tmp:
        work = Path(tmp)
        template = snapshot(work / "template")
        if write:
            name = adapter.names[0]
            projects = render_all(universe, name, template, work / "resolve")
            texts = adapter.templates(
                adapter.resolve(projects, name, upgrade), Solver(universe), name
            )
            for file, text in texts.items():
                for root in (REPO_ROOT, template):
                    path = root / "templates" / adapter.stack / f"{file}.jinja"
                    path.write_text(f"{adapter.header()}\n{text}")
        problems: list[str] = []
        for name in adapter.names:
            problems += check(adapter, universe, template, work / "check" / name, name)
    return problems


def check(
    adapter: Adapter, universe: Universe, template: Path, parent: Path, name: str
) -> list[str]:
    """Render every combination as ``name``; its lockfiles must be what the tool writes
    for it, and pass the stack's frozen check."""
    projects = render_all(universe, name, template, parent)
    rendered = {
        combo: {file: (project / file).read_text() for file in adapter.lockfiles}
        for combo, project in projects.items()
    }
    # The frozen check sees the project exactly as rendered, before the tool runs in it.
    problems = [
        f"{name} {universe.label(combo)}: the frozen check failed:\n{output}"
        for combo, output in zip(projects, parallel(adapter.frozen, projects.values()), strict=True)
        if output is not None
    ]
    locks = adapter.resolve(projects, name, False)
    for combo in universe.combos:
        for file in adapter.lockfiles:
            got, want = rendered[combo][file], locks[combo][file]
            if got != want:
                diff = difflib.unified_diff(
                    got.splitlines(), want.splitlines(), "rendered", adapter.tool, lineterm="", n=1
                )
                problems.append(
                    f"{name} {universe.label(combo)}: the rendered {file} is not what"
                    f" {adapter.tool} writes:\n" + "\n".join(itertools.islice(diff, 12))
                )
    return problems
