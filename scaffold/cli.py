"""The command line: turns flags into library calls and errors into exit codes."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import yaml

from scaffold import __version__, catalog
from scaffold.errors import ScaffoldError, UsageError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def _fail(error: ScaffoldError) -> NoReturn:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(error.exit_code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scaffold {__version__}")
        raise typer.Exit


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Render backend services that build, lint, test and run on day one.

    \b
    Examples:
      scaffold new orders-api --defaults
      scaffold new orders-api --stack go --arch microservice --db postgres --cache redis
      scaffold new billing --data-file answers.yml --defaults
      scaffold list --json
    """


def _parse_data(pairs: list[str], data_file: Path | None) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    if data_file is not None:
        try:
            loaded = yaml.safe_load(data_file.read_text())
        except (OSError, yaml.YAMLError) as error:
            raise UsageError(
                f"cannot read answers file {data_file}: {' '.join(str(error).split())}"
            ) from None
        if not isinstance(loaded, dict):
            raise UsageError(f"answers file {data_file} must be a YAML mapping of answer: value")
        answers.update({k: v for k, v in loaded.items() if not str(k).startswith("_")})
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--data expects key=value, got {pair!r}")
        # Values are YAML scalars, as with `copier --data`: http_port=9090 is a number.
        answers[key.strip()] = yaml.safe_load(value) if value else ""
    return answers


@app.command()
def new(
    dest: Annotated[
        Path | None, typer.Argument(help="Directory to create (default: named after --name).")
    ] = None,
    stack: Annotated[str | None, typer.Option(help="go")] = None,
    framework: Annotated[str | None, typer.Option(help="Web framework, e.g. stdlib.")] = None,
    arch: Annotated[str | None, typer.Option(help="monolith, microservice or serverless.")] = None,
    db: Annotated[str | None, typer.Option(help="postgres or none.")] = None,
    cache: Annotated[str | None, typer.Option(help="redis or none.")] = None,
    ci: Annotated[str | None, typer.Option(help="github, gitlab or none.")] = None,
    name: Annotated[
        str | None, typer.Option(help="Human project name (default: from DEST).")
    ] = None,
    data: Annotated[
        list[str] | None, typer.Option("--data", "-d", help="Answer as key=value; repeatable.")
    ] = None,
    data_file: Annotated[Path | None, typer.Option(help="YAML file of answers.")] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Use defaults for every unanswered question.")
    ] = False,
    template: Annotated[
        str | None, typer.Option(help="Template source: git URL, path or bundle.")
    ] = None,
    vcs_ref: Annotated[
        str | None, typer.Option(help="Template version (git tag or commit).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Render into a non-empty directory.")
    ] = False,
    pretend: Annotated[
        bool, typer.Option("--pretend", help="Show what would be created; write nothing.")
    ] = False,
) -> None:
    """Create a new service."""
    try:
        answers = _parse_data(data or [], data_file)
        flags = {
            "stack": stack,
            "framework": framework,
            "architecture": arch,
            "database": db,
            "cache": cache,
            "ci": ci,
            "project_name": name,
        }
        answers.update({key: value for key, value in flags.items() if value is not None})
        if dest is None:
            if not name:
                raise UsageError("give the directory to create, or --name")
            dest = Path(re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or name)
        # copier and its dependencies take most of a second to import; only `new` needs them.
        from scaffold.render import new_project

        # Without a terminal there is nobody to ask: behave like --defaults.
        interactive = not defaults and sys.stdin.isatty()
        rendered = new_project(
            dest,
            answers,
            template=template,
            vcs_ref=vcs_ref,
            defaults=not interactive,
            force=force,
            pretend=pretend,
        )
    except ScaffoldError as error:
        _fail(error)
    except KeyboardInterrupt:
        typer.echo("error: interrupted; nothing was written", err=True)
        raise typer.Exit(130) from None
    if pretend:
        typer.echo(f"Would create {len(rendered.files)} files in {rendered.dest}:")
        for file in rendered.files:
            typer.echo(f"  {file}")
        return
    a = rendered.answers
    what = f"{a['project_slug']} ({a['stack']}/{a['framework']}, {a['architecture']})"
    typer.echo(
        f"Created {what} in {rendered.dest}\n"
        "\nNext steps:\n"
        f"  cd {_shown(rendered.dest)}\n"
        "  make up      # the service with its database and cache, in containers\n"
        "  make test    # unit and integration tests"
    )


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(path)


@app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the valid stack x framework x architecture matrix."""
    rows = [c.__dict__ for c in catalog.combinations()]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "combinations": rows,
                    "databases": list(catalog.DATABASES),
                    "caches": list(catalog.CACHES),
                    "ci": list(catalog.CI_PROVIDERS),
                },
                indent=2,
            )
        )
        return
    typer.echo(f"{'STACK':<16}{'FRAMEWORK':<12}ARCHITECTURE")
    for row in rows:
        typer.echo(f"{row['stack']:<16}{row['framework']:<12}{row['architecture']}")
    typer.echo(
        f"\nEvery combination takes database {'|'.join(catalog.DATABASES)}, "
        f"cache {'|'.join(catalog.CACHES)} and ci {'|'.join(catalog.CI_PROVIDERS)}."
    )
