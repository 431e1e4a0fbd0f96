"""The lockfile core: its combinations come from the catalog, and every condition it
writes holds on exactly the combinations it was asked for."""

from __future__ import annotations

import itertools
import random

import jinja2
import pytest
from lockfiles import ADAPTERS, packages
from lockfiles.core import Combo, Solver, Universe

from scaffold import catalog

DIMENSIONS = ("framework", "architecture", "database", "cache")
ARCHITECTURES = ("monolith", "microservice", "serverless")
# Not every framework has every architecture: actix has no serverless.
UNEVEN = Universe(
    "uneven",
    DIMENSIONS,
    tuple(
        (framework, architecture, database, cache)
        for framework, architectures in (("axum", ARCHITECTURES), ("actix", ARCHITECTURES[:2]))
        for architecture in architectures
        for database in ("postgres", "none")
        for cache in ("redis", "none")
    ),
)
JINJA = jinja2.Environment(undefined=jinja2.StrictUndefined)


def _holds_exactly(universe: Universe, condition: str | None, true: set[Combo]) -> bool:
    if condition is None:
        return true == set(universe.combos)
    test = JINJA.compile_expression(condition)
    return all(bool(test(**universe.answers(c))) == (c in true) for c in universe.combos)


@pytest.mark.parametrize("stack", list(ADAPTERS))
def test_universe_is_the_catalogs_matrix(stack: str) -> None:
    offered = catalog.STACKS[stack]
    universe = Universe.of(stack)
    expected = (
        (framework.name, architecture, database, cache)
        for framework in offered.offered
        for architecture in framework.architectures
        for database, cache in itertools.product(catalog.DATABASES, catalog.CACHES)
    )
    assert universe.combos == tuple(expected)
    assert set(universe.dimensions) <= set(catalog.QUESTIONS)


@pytest.mark.parametrize("universe", [Universe.of("go"), UNEVEN], ids=["go", "uneven"])
def test_conditions_hold_on_exactly_their_combinations(universe: Universe) -> None:
    solver = Solver(universe)
    rng = random.Random(10)
    single = [
        {c for c in universe.combos if c[index] == value}
        for index, _ in enumerate(universe.dimensions)
        for value in universe.values(index)
    ]
    # Unions and intersections of answers (what dependencies look like), and any sets.
    sets = list(single)
    for _ in range(40):
        a, b, c = rng.sample(single, 3)
        sets += [a | b, (a & b) | c, {x for x in universe.combos if rng.random() < 0.5} or a]
    for true in sets:
        condition = solver.condition(true, set(universe.combos) - true)
        assert _holds_exactly(universe, condition, true), (condition, sorted(true))


def test_combinations_outside_the_catalog_do_not_shape_conditions() -> None:
    solver = Solver(UNEVEN)
    serverless = {c for c in UNEVEN.combos if c[1] == "serverless"}
    # Only axum is serverless, yet no framework test is needed.
    assert solver.condition(serverless, set(UNEVEN.combos) - serverless) == (
        "architecture == 'serverless'"
    )


def test_the_shortest_condition_is_found() -> None:
    universe = Universe.of("go")
    solver = Solver(universe)
    true = {c for c in universe.combos if c[0] == "gin" or c[1] == "microservice"}
    condition = solver.condition(true, set(universe.combos) - true)
    assert condition == "framework == 'gin' or architecture == 'microservice'"


def test_guarded_lines_share_one_if_and_choose_ends_in_else() -> None:
    solver = Solver(UNEVEN)
    every = set(UNEVEN.combos)
    postgres = {c for c in UNEVEN.combos if c[2] == "postgres"}
    lines = solver.guarded([("a", every), ("b", postgres), ("c", postgres), ("d", every)])
    assert lines == ["a", "{% if database == 'postgres' %}", "b", "c", "{% endif %}", "d"]
    chain = solver.choose([(postgres, ["pg"]), (every - postgres, ["none"])])
    assert chain == ["{% if database == 'postgres' %}", "pg", "{% else %}", "none", "{% endif %}"]


LOCK = """version = 1

[[package]]
name = "alpha"
version = "1.0"

[[package]]
name = "orders-api"
version = "0.1.0"
dependencies = [
    { name = "alpha" },
{extra}]

[[package]]
name = "zeta"
version = "2.0"
"""


@pytest.mark.parametrize("slug", ["aaa-first", "beta", "zzz-last"])
def test_the_projects_block_goes_where_its_name_sorts(slug: str) -> None:
    """The template of two combinations renders, under any name, the lock sorted by name."""
    universe = Universe("uneven", DIMENSIONS, UNEVEN.combos[:2])
    redis, plain = universe.combos
    locks = {
        redis: packages.parse(LOCK.replace("{extra}", '    { name = "zeta" },\n'), "orders-api"),
        plain: packages.parse(LOCK.replace("{extra}", ""), "orders-api"),
    }
    text = packages.template(locks, Solver(universe), "orders-api", "project_slug", str)
    env = jinja2.Environment(keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    for combo, extra in ((redis, '    { name = "zeta" },\n'), (plain, "")):
        rendered = env.from_string(text).render(project_slug=slug, **universe.answers(combo))
        lock = LOCK.replace("{extra}", extra).removesuffix("\n")
        blocks = [b for b in lock.split("\n\n") if "[[package]]" in b]
        ordered = sorted(
            (b.replace('"orders-api"', f'"{slug}"') for b in blocks),
            key=lambda b: b.split('name = "', 1)[1],
        )
        assert rendered == "\n\n".join(["version = 1", *ordered]) + "\n"
