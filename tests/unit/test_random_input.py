"""Random command lines: never a traceback, one line on refusal, nothing written.

`new` renders a template holding this repository's questionnaire and only the
answers file, so a few hundred cases take seconds and still meet every validator.
The suite draws the same cases every run (the "default" profile in conftest.py);
`pytest --hypothesis-profile=explore` draws new ones.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rendering import REPO_ROOT
from typer.testing import CliRunner

from scaffold import catalog
from scaffold.cli import app

runner = CliRunner()

OPTIONS = ("--stack", "--framework", "--arch", "--db", "--cache", "--ci", "--name")
TRICKY = (
    "'quoted",
    '"quoted',
    "{a: 1}",
    "[1, 2",
    "- item",
    "9090",
    "80",
    "yes",
    "~",
    "null",
    "2026-11-27",
    "*anchor",
    "!tag x",
    "a" * 1500,
    "tab\there",
    "line\nbreak",
    "nul\x00byte",
    "bell\x07",
    "para\u2029graph",
    "ünïcödé",
    "../../escape",
    "/absolute",
    "-",
    "--",
    "=",
    "",
    " ",
)
VALUES = st.sampled_from(TRICKY) | st.text(max_size=30)
KEYS = st.sampled_from((*catalog.QUESTIONS, "colour", "_commit", "", " stack ")) | st.text(
    max_size=10
)
CHOICES = st.sampled_from(
    sorted(
        {
            *catalog.STACKS,
            *(f for s in catalog.STACKS.values() for f in s.frameworks),
            *catalog.ARCHITECTURES,
            *catalog.DATABASES,
            *catalog.CACHES,
            *catalog.CI_PROVIDERS,
        }
    )
)
ARGUMENTS = st.lists(
    st.one_of(
        st.tuples(st.just("-d"), st.builds(lambda k, v: f"{k}={v}", KEYS, VALUES)),
        st.tuples(st.sampled_from(OPTIONS), CHOICES | VALUES),
        st.tuples(st.sampled_from(("--force", "--pretend", "--defaults"))),
    ),
    max_size=6,
).map(lambda groups: [arg for group in groups for arg in group])


@pytest.fixture(scope="module")
def questionnaire(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("questionnaire")
    shutil.copy(REPO_ROOT / "copier.yml", root / "copier.yml")
    for stack in catalog.STACKS:
        answers = root / "templates" / stack / "{{ _copier_conf.answers_file }}.jinja"
        answers.parent.mkdir(parents=True)
        answers.write_text("{{ _copier_answers | to_nice_yaml }}")
    return root


def _assert_clean_outcome(code: int, stderr: str, written: bool) -> None:
    assert "Traceback" not in stderr
    if code == 0:
        return
    assert not written
    assert code in (1, 2), stderr
    if code == 1:
        assert stderr.startswith("error: ")
        assert stderr.count("\n") == 1, stderr


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    dest_name=st.sampled_from(
        ("svc", "orders-api", "x", "Bad Name", "a" * 80, "nul\x00", "a" * 300)
    ),
    argv=ARGUMENTS,
)
def test_new_never_crashes_and_writes_nothing_on_refusal(
    questionnaire: Path, dest_name: str, argv: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as parent:
        dest = Path(parent) / dest_name
        result = runner.invoke(
            app, ["new", str(dest), "--template", str(questionnaire), "--defaults", *argv]
        )
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), result.exception
        written = dest_name in os.listdir(parent)
        _assert_clean_outcome(result.exit_code, result.stderr, written)
        if result.exit_code == 0 and "--pretend" not in argv:
            assert (dest / ".copier-answers.yml").is_file()
        assert sorted(p.name for p in Path(parent).iterdir()) == ([dest_name] if written else [])


@settings(max_examples=100, deadline=None)
@example(command="update", argv=["a" * 1500])
@given(
    command=st.sampled_from(("update", "check", "diff", "list")),
    argv=st.lists(VALUES | st.sampled_from(("--json", "--stat", "--pretend", "--vcs-ref"))),
)
def test_other_commands_never_crash(command: str, argv: list[str]) -> None:
    with tempfile.TemporaryDirectory() as cwd, contextlib.chdir(cwd):
        result = runner.invoke(app, [command, *argv])
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), result.exception
        _assert_clean_outcome(result.exit_code, result.stderr, written=any(Path(cwd).iterdir()))
