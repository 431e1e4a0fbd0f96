"""How to build and run a rendered project of each stack: one descriptor per framework.

The conformance checks know nothing about stacks. A new stack adds one
``StackDescriptor`` to ``DESCRIPTORS``; every argv may use ``{slug}`` and runs
in the rendered project's directory.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pytest
from cargo import cargo_env
from nodes import node_bin_dir
from pythons import find_python

from scaffold import catalog


@dataclass(frozen=True)
class StackDescriptor:
    stack: str
    framework: str
    marker: str
    # Commands that turn the rendered project into something runnable, in order.
    build: tuple[tuple[str, ...], ...]
    # Applies the project's migrations and exits 0 (database=postgres only).
    migrate: tuple[str, ...]
    # Serves HTTP in the foreground; SIGTERM reaches the server itself.
    serve: tuple[str, ...]
    # Programs the build needs on PATH; a missing one fails the test with its name.
    tools: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    # Where the project keeps the OpenAPI document it serves at /openapi.json (a glob).
    openapi: str = "api/openapi.json"

    @property
    def name(self) -> str:
        return f"{self.stack}-{self.framework}"

    @property
    def architectures(self) -> tuple[str, ...]:
        return catalog.STACKS[self.stack].framework(self.framework).architectures


GO_STDLIB = StackDescriptor(
    stack="go",
    framework="stdlib",
    marker="go",
    # The project's own build: -trimpath keeps Go's build cache valid across
    # projects rendered into different directories.
    build=(("make", "build"),),
    migrate=("bin/{slug}", "migrate"),
    serve=("bin/{slug}",),
    tools=("go", "make"),
    # The rendered go.mod and go.sum must be enough: no toolchain download, no
    # silent go.sum edits.
    env={"GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly"},
)

# The Go routers build, migrate and serve exactly like the standard library.
GO_GIN = replace(GO_STDLIB, framework="gin")
GO_ECHO = replace(GO_STDLIB, framework="echo")
GO_CHI = replace(GO_STDLIB, framework="chi")

PYTHON_FASTAPI = StackDescriptor(
    stack="python-fastapi",
    framework="fastapi",
    marker="python",
    # The frozen install of the rendered uv.lock; the project's command is then the
    # virtualenv's console script, a Python process that receives SIGTERM itself.
    build=(("uv", "sync", "--locked", "--no-dev"),),
    migrate=(".venv/bin/{slug}", "migrate"),
    serve=(".venv/bin/{slug}",),
    tools=("uv",),
    # The tests run on an interpreter the machine has; uv never downloads one.
    env={"UV_PYTHON_DOWNLOADS": "never", "UV_PYTHON": find_python() or ""},
    # Package data: the image carries only the virtualenv.
    openapi="src/*/openapi.json",
)

_NODE_BIN = node_bin_dir()

NODE_FASTIFY = StackDescriptor(
    stack="node-ts",
    framework="fastify",
    marker="node",
    build=(
        # The frozen install, refused on a Node older than package.json's engines.
        ("npm", "ci", "--engine-strict"),
        ("npm", "run", "build"),
    ),
    # The compiled service, run by node itself so that SIGTERM reaches it.
    migrate=("node", "dist/main.js", "migrate"),
    serve=("node", "dist/main.js"),
    tools=("npm",),
    # Node 26 first on PATH (scripts/test.sh installs it); npm's cache is shared.
    env={
        **({"PATH": f"{_NODE_BIN}{os.pathsep}{os.environ.get('PATH', '')}"} if _NODE_BIN else {}),
        "npm_config_prefer_offline": "true",
        "npm_config_audit": "false",
        "npm_config_fund": "false",
    },
)

# NestJS and Express build, migrate and serve exactly like Fastify.
NODE_NESTJS = replace(NODE_FASTIFY, framework="nestjs")
NODE_EXPRESS = replace(NODE_FASTIFY, framework="express")

RUST_AXUM = StackDescriptor(
    stack="rust",
    framework="axum",
    marker="rust",
    # The frozen build of the rendered Cargo.lock, into the project's bin/: the build
    # directory is the one every render shares, where the next build would overwrite
    # target/debug/{slug} while this one is still serving.
    build=(
        # Renders of every path share the build directory and the crate's name: without
        # this, cargo can count a copy's changed sources as built (a meta test's mutant).
        ("cargo", "clean", "--quiet", "--package", "{slug}"),
        (
            "cargo",
            "install",
            "--locked",
            "--debug",
            "--quiet",
            "--no-track",
            "--path",
            ".",
            "--root",
            ".",
        ),
    ),
    migrate=("bin/{slug}", "migrate"),
    serve=("bin/{slug}",),
    tools=("cargo",),
    env=cargo_env(),
)
RUST_ACTIX = replace(RUST_AXUM, framework="actix")

DESCRIPTORS: tuple[StackDescriptor, ...] = (
    GO_STDLIB,
    GO_GIN,
    GO_ECHO,
    GO_CHI,
    NODE_FASTIFY,
    NODE_NESTJS,
    NODE_EXPRESS,
    PYTHON_FASTAPI,
    RUST_AXUM,
    RUST_ACTIX,
)


@dataclass(frozen=True)
class Variant:
    """One rendered combination the conformance test runs against."""

    descriptor: StackDescriptor
    architecture: str
    database: str
    cache: str

    @property
    def id(self) -> str:
        return f"{self.descriptor.name}-{self.architecture}-{self.database}-{self.cache}"

    @property
    def answers(self) -> dict[str, object]:
        return {
            "stack": self.descriptor.stack,
            "framework": self.descriptor.framework,
            "architecture": self.architecture,
            "database": self.database,
            "cache": self.cache,
            "ci": "none",
        }

    @property
    def dependencies(self) -> tuple[str, ...]:
        """The readiness checks the service must report, by contract name."""
        return tuple(
            name
            for name, chosen in (("postgres", self.database), ("redis", self.cache))
            if chosen != "none"
        )


def variants(descriptor: StackDescriptor) -> list[Variant]:
    """Every architecture with Postgres and Redis, plus one variant with neither."""
    full = [Variant(descriptor, arch, "postgres", "redis") for arch in descriptor.architectures]
    return [*full, Variant(descriptor, descriptor.architectures[0], "none", "none")]


def variant_params() -> list[object]:
    return [
        pytest.param(
            variant, id=variant.id, marks=[pytest.mark.conformance, getattr(pytest.mark, d.marker)]
        )
        for d in DESCRIPTORS
        for variant in variants(d)
    ]
