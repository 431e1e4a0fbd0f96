"""Pin the Python template's dependency set: write templates/python-fastapi/uv.lock.jinja.

Renders every architecture x database x cache combination of the Python stack, resolves
each one with `uv lock` (the versions pyproject.toml.jinja pins, the newest of everything
else), checks that the combinations agree on every package they share, then writes one
lockfile template: each package block is guarded by the Jinja condition of the
combinations that have it, and the project's own block, whose lines also depend on the
answers, goes where the project's name sorts among them. The result is verified by
rendering every combination again, under two more names: uv.lock must be exactly what
`uv lock` wrote, and `uv lock --locked` must accept it.

Rerun after changing a version in pyproject.toml.jinja (it needs uv, a Python 3.12 or
newer and the package index):

    python scripts/pin_python_deps.py           # rewrite the template
    python scripts/pin_python_deps.py --check   # only verify it is up to date
"""

from __future__ import annotations

import argparse
import glob
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = REPO_ROOT / "templates" / "python-fastapi" / "uv.lock.jinja"
SLUG = "orders-api"

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "architecture": ("monolith", "microservice", "serverless"),
    "database": ("postgres", "none"),
    "cache": ("redis", "none"),
}

Combo = tuple[str, ...]  # one value per dimension, in DIMENSIONS order
COMBOS: list[Combo] = list(itertools.product(*DIMENSIONS.values()))

HEADER = (
    "{# Written by scripts/pin_python_deps.py from the versions pinned in"
    " pyproject.toml.jinja: change them there and rerun it. #}"
)


def combo_name(combo: Combo) -> str:
    return "-".join(combo)


# --- tools --------------------------------------------------------------------------


def find_python() -> str:
    """A Python 3.12+ for uv: $UV_PYTHON, else one on PATH, else the newest pyenv has."""
    if configured := os.environ.get("UV_PYTHON"):
        return configured
    candidates = [shutil.which(name) for name in ("python3.13", "python3.12", "python3")]
    if pyenv := shutil.which("pyenv"):
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        pattern = f"{root.stdout.strip()}/versions/3.*/bin/python3"
        candidates += sorted(glob.glob(pattern), key=_version_of_path, reverse=True)
    for candidate in filter(None, candidates):
        probe = subprocess.run(
            [candidate, "-c", "import sys; print(sys.version_info >= (3, 12), sys.executable)"],
            capture_output=True,
            text=True,
            check=False,
        )
        ok, _, executable = probe.stdout.strip().partition(" ")
        if probe.returncode == 0 and ok == "True":
            return executable
    sys.exit("no Python 3.12 or newer found: set UV_PYTHON to one")


def _version_of_path(path: str) -> tuple[int, ...]:
    match = re.search(r"/versions/(\d+)\.(\d+)\.(\d+)", path)
    return tuple(int(part) for part in match.groups()) if match else ()


def uv_env() -> dict[str, str]:
    return {**os.environ, "UV_PYTHON": find_python(), "UV_PYTHON_DOWNLOADS": "never"}


def uv_binary() -> str:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        sys.exit("uv is required: pip install uv")
    return found


def run_uv(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        [uv_binary(), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"uv {' '.join(args)} failed in {cwd}:\n{result.stderr}")


def render(combo: Combo, parent: Path, slug: str = SLUG) -> Path:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from scaffold.render import new_project

    answers = {
        "project_name": slug.replace("-", " ").title(),
        "project_slug": slug,
        "stack": "python-fastapi",
        **dict(zip(DIMENSIONS, combo, strict=True)),
    }
    dest = parent / slug / combo_name(combo)
    # vcs_ref HEAD renders the working tree, uncommitted changes included.
    return new_project(dest, answers, template=str(REPO_ROOT), vcs_ref="HEAD").dest


# --- lockfiles ----------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One [[package]] block of uv.lock, with the blank line that precedes it."""

    name: str
    version: str
    text: str


@dataclass
class Lock:
    header: str
    packages: list[Block]
    project: str  # the project's own block


_NAME = re.compile(r'^name = "([^"]+)"$', re.M)
_VERSION = re.compile(r'^version = "([^"]+)"$', re.M)


def parse(text: str, slug: str = SLUG) -> Lock:
    # Blocks are separated by blank lines; the file's final newline ends no block.
    header, *rest = text.removesuffix("\n").split("\n\n[[package]]\n")
    lock = Lock(header=header, packages=[], project="")
    for body in rest:
        block = "\n[[package]]\n" + body
        name_match, version_match = _NAME.search(body), _VERSION.search(body)
        assert name_match and version_match, f"unexpected package block:\n{body[:300]}"
        if name_match.group(1) == slug:
            lock.project = block
        else:
            lock.packages.append(Block(name_match.group(1), version_match.group(1), block))
    assert lock.project, f"no block for the project {slug}"
    return lock


def lock_all(projects: dict[Combo, Path]) -> dict[Combo, str]:
    env = uv_env()

    def one(combo: Combo) -> str:
        project = projects[combo]
        (project / "uv.lock").unlink(missing_ok=True)
        run_uv(["lock", "--quiet"], project, env)
        return (project / "uv.lock").read_text()

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(projects, pool.map(one, projects), strict=True))


def check_agreement(locks: dict[Combo, Lock]) -> None:
    """Shared packages must resolve alike everywhere, or the template would mix sets."""
    versions: dict[str, set[str]] = {}
    for lock in locks.values():
        for block in lock.packages:
            versions.setdefault(block.name, set()).add(block.version)
    split = {name: sorted(found) for name, found in versions.items() if len(found) > 1}
    forked = {
        block.name
        for lock in locks.values()
        for block in lock.packages
        if "resolution-markers" in block.text
    }
    disagreeing = {name: found for name, found in split.items() if name not in forked}
    if disagreeing:
        sys.exit(f"the combinations resolve packages differently: {disagreeing}")


# --- conditions ---------------------------------------------------------------------

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


def condition(true: set[Combo], false: set[Combo]) -> str | None:
    """The shortest `or` of `and`-terms that holds on ``true`` and fails on ``false``.

    None means "always".
    """
    if not false:
        return None
    usable = [t for t in TERMS if not any(_matches(t, c) for c in false)]
    for size in range(1, len(true) + 1):
        best: tuple[int, tuple[Term, ...]] | None = None
        for terms in itertools.combinations(usable, size):
            if all(any(_matches(t, c) for t in terms) for c in true):
                cost = sum(len(t) for t in terms)
                if best is None or cost < best[0]:
                    best = (cost, terms)
        if best:
            names = list(DIMENSIONS)
            return " or ".join(
                " and ".join(f"{names[i]} {op} '{v}'" for i, op, v in term)
                for term in sorted(best[1])
            )
    raise AssertionError(f"no condition separates {true} from {false}")


def guarded(
    chunks: Iterable[str], has: Callable[[str], set[Combo]], among: set[Combo]
) -> list[str]:
    """Template lines: consecutive chunks that share a condition share one {% if %}."""
    out: list[str] = []
    current: str | None = None
    for chunk in chunks:
        combos = has(chunk) & among
        cond = condition(combos, among - combos)
        if cond != current:
            if current is not None:
                out.append("{% endif %}")
            if cond is not None:
                out.append(f"{{% if {cond} %}}")
            current = cond
        out.append(chunk)
    if current is not None:
        out.append("{% endif %}")
    return out


def variants(texts: dict[Combo, str]) -> list[str]:
    """One {% if %}/{% elif %} chain that picks each combination's text."""
    by_text: dict[str, set[Combo]] = {}
    for combo, text in texts.items():
        by_text.setdefault(text, set()).add(combo)
    if len(by_text) == 1:
        return [next(iter(by_text))]
    out, undecided = [], set(texts)
    for index, (text, combos) in enumerate(sorted(by_text.items(), key=lambda kv: -len(kv[1]))):
        cond = condition(combos, undecided - combos)
        if cond is None or index == len(by_text) - 1:
            out += ["{% else %}", text]
            break
        out += [f"{{% {'elif' if index else 'if'} {cond} %}}", text]
        undecided -= combos
    return [*out, "{% endif %}"]


# --- the template -------------------------------------------------------------------


def _structure(block: str) -> list[tuple[str, list[str]]]:
    """The block's lines: each unindented line with the list items that follow it."""
    parts: list[tuple[str, list[str]]] = []
    for line in block.split("\n"):
        if line.startswith("    ") and parts:
            parts[-1][1].append(line)
        else:
            parts.append((line, []))
    return parts


def project_macro(locks: dict[Combo, Lock]) -> list[str]:
    """The project's block as a macro, each line guarded by the combinations that have it.

    Every combination's block has the same unindented lines; the list items below each
    are merged (uv sorts them by name within a list).
    """
    structures = {combo: _structure(lock.project) for combo, lock in locks.items()}
    skeletons = {tuple(line for line, _ in parts) for parts in structures.values()}
    assert len(skeletons) == 1, "the project blocks differ beyond their list items"
    lines: list[str] = []
    has: dict[int, set[Combo]] = {}
    for index, line in enumerate(next(iter(skeletons))):
        has[len(lines)] = set(COMBOS)
        lines.append(line)
        items: dict[str, set[Combo]] = {}
        for combo, parts in structures.items():
            for item in parts[index][1]:
                items.setdefault(item, set()).add(combo)
        for item in sorted(items):
            has[len(lines)] = items[item]
            lines.append(item)
    texts = [line.replace(f'"{SLUG}"', '"{{ project_slug }}"') for line in lines]
    numbered = [str(i) for i in range(len(texts))]
    body = guarded(numbered, lambda i: has[int(i)], set(COMBOS))
    body = [texts[int(line)] if line.isdigit() else line for line in body]
    return ["{% macro project() %}", *body, "{% endmacro %}"]


def lock_template(locks: dict[Combo, Lock]) -> str:
    headers = {combo: lock.header for combo, lock in locks.items()}
    blocks: dict[str, Block] = {}
    has: dict[str, set[Combo]] = {}
    for combo, lock in locks.items():
        for block in lock.packages:
            blocks[block.text] = block
            has.setdefault(block.text, set()).add(combo)
    ordered = sorted(blocks.values(), key=lambda b: (b.name, Version(b.version), b.text))

    out = [HEADER, *project_macro(locks), *variants(headers)]
    previous = ""
    for block in ordered:
        if block.name != previous:
            out += _project_slot(previous, block.name)
            previous = block.name
        out += guarded([block.text], has.__getitem__, set(COMBOS))
    out += _project_slot(previous, "")
    return "\n".join(out) + "\n"


def _project_slot(after: str, before: str) -> list[str]:
    """The project's block, where its name sorts between two package names."""
    bounds = [f"project_slug > '{after}'"] if after else []
    bounds += [f"project_slug < '{before}'"] if before else []
    return [f"{{% if {' and '.join(bounds)} %}}", "{{ project() -}}", "{% endif %}"]


# --- main ---------------------------------------------------------------------------


def verify(locks: dict[Combo, str], workdir: Path) -> list[str]:
    """Render every combination under three names; compare with what `uv lock` wrote."""
    problems = []
    env = uv_env()
    for slug in (SLUG, "aaa-first", "zzz-last"):
        for combo in COMBOS:
            project = render(combo, workdir, slug)
            want = locks[combo].replace(f'name = "{SLUG}"', f'name = "{slug}"')
            got = (project / "uv.lock").read_text()
            if slug == SLUG and got != want:
                problems.append(f"{combo_name(combo)}: rendered uv.lock differs from uv lock's")
            check = subprocess.run(
                [uv_binary(), "lock", "--locked", "--quiet"],
                cwd=project,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if check.returncode != 0:
                problems.append(f"{slug} {combo_name(combo)}: uv lock --locked:\n{check.stderr}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify, do not write")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pin-python-deps-") as tmp:
        work = Path(tmp)
        projects = {combo: render(combo, work / "lock") for combo in COMBOS}
        texts = lock_all(projects)
        locks = {combo: parse(text) for combo, text in texts.items()}
        check_agreement(locks)
        if not args.check:
            TEMPLATE.write_text(lock_template(locks))
        problems = verify(texts, work / "verify")
    if problems:
        sys.exit("\n".join(problems))
    print(f"uv.lock matches uv lock for all {len(COMBOS)} combinations")


if __name__ == "__main__":
    main()
