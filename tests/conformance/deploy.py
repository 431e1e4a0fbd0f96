"""Give a variant a running place: render and build it, provision its database and cache."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rendering import render_project
from services import PostgresServer, RedisServer

from conformance import checks
from conformance.harness import BuiltProject, Service, build_project, service_env
from conformance.stacks import Variant


@dataclass(frozen=True)
class Dependencies:
    """Where a variant's service finds its database and cache (None: not chosen)."""

    postgres: PostgresServer | None = None
    database: str | None = None
    redis: RedisServer | None = None
    redis_db: int | None = None

    @property
    def database_url(self) -> str | None:
        return (
            self.postgres.database_url(self.database) if self.postgres and self.database else None
        )

    @property
    def redis_url(self) -> str | None:
        return (
            self.redis.db_url(self.redis_db) if self.redis and self.redis_db is not None else None
        )

    def env(self, **overrides: str) -> dict[str, str]:
        return service_env(database_url=self.database_url, redis_url=self.redis_url, **overrides)


def render_and_build(parent: Path, variant: Variant) -> BuiltProject:
    path = render_project(parent, project_name="Conformance Probe", **variant.answers)
    return build_project(path, variant.descriptor)


def _database_name(variant: Variant, suffix: str = "") -> str:
    return re.sub(r"[^a-z0-9_]", "_", f"{variant.id}{suffix}".lower())[:60]


def provision(
    variant: Variant,
    project: BuiltProject,
    postgres: PostgresServer | None,
    redis: RedisServer | None,
    suffix: str = "",
) -> Dependencies:
    """A fresh database (migrated) and a fresh Redis database for one service."""
    deps = Dependencies()
    if variant.database == "postgres":
        assert postgres is not None
        name = _database_name(variant, suffix)
        postgres.create_database(name)
        deps = Dependencies(postgres=postgres, database=name)
    if variant.cache == "redis":
        assert redis is not None
        deps = Dependencies(deps.postgres, deps.database, redis, redis.new_db_index())
    if variant.database == "postgres":
        checks.check_migrate(project, deps.env())
    return deps


@contextlib.contextmanager
def observed(svc: Service) -> Iterator[None]:
    """After the block: every request it made has one access line, every log line is valid."""
    start = len(svc.responses)
    yield
    checks.check_access_lines(svc, svc.responses[start:])
    checks.check_log_lines(svc)
