"""The command line: turns flags into library calls and errors into exit codes."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import yaml

from scaffold import __version__, catalog, config
from scaffold.errors import ScaffoldError, UsageError

# `check` and `update` tell scripts what they found beyond success (0) and errors (1, 2).
EXIT_DRIFT = 3
EXIT_CONFLICTS = 4

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
      scaffold update && scaffold check --json
    """


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help=f"Org config file (default: ${config.ENV_VAR}, then {config.user_config_path()}).",
    ),
]
ProjectArgument = Annotated[
    Path, typer.Argument(help="The generated project (default: the current directory).")
]


def _alternatives(choices: Iterable[str]) -> str:
    *rest, last = choices
    return f"{', '.join(rest)} or {last}" if rest else last


def _either(choices: Iterable[str]) -> str:
    return f"{_alternatives(choices)}."


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
        if not sep or not key.strip():
            raise UsageError(f"--data expects key=value, got {pair!r}")
        answers[key.strip()] = _scalar(value)
    return answers


def _scalar(value: str) -> Any:
    """A YAML scalar as with `copier --data` (http_port=9090 is a number); text that
    is not one, or that YAML reads as a structure, is the plain string."""
    if not value:
        return ""
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    return parsed if isinstance(parsed, str | int | float | bool) else value


@app.command()
def new(
    dest: Annotated[
        Path | None, typer.Argument(help="Directory to create (default: named after --name).")
    ] = None,
    stack: Annotated[str | None, typer.Option(help=_either(catalog.STACKS))] = None,
    framework: Annotated[
        str | None,
        typer.Option(
            help="; ".join(
                f"{s.name}: {_alternatives(s.frameworks)}" for s in catalog.STACKS.values()
            )
            + "."
        ),
    ] = None,
    arch: Annotated[str | None, typer.Option(help=_either(catalog.ARCHITECTURES))] = None,
    db: Annotated[str | None, typer.Option(help=_either(catalog.DATABASES))] = None,
    cache: Annotated[str | None, typer.Option(help=_either(catalog.CACHES))] = None,
    ci: Annotated[str | None, typer.Option(help=_either(catalog.CI_PROVIDERS))] = None,
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
    config_file: ConfigOption = None,
) -> None:
    """Create a new service."""
    try:
        org = config.load(config_file)
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
            config=org,
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


def _short(version: str) -> str:
    """A commit as git shows it in short form; tags as they are."""
    return version[:12] if re.fullmatch(r"[0-9a-f]{40}", version) else version


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


@app.command()
def update(
    project: ProjectArgument = Path(),
    vcs_ref: Annotated[
        str | None, typer.Option(help="Template version to update to (default: newest or pinned).")
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", help="Change an answer, as key=value; repeatable."),
    ] = None,
    data_file: Annotated[Path | None, typer.Option(help="YAML file of answers to change.")] = None,
    ask: Annotated[
        bool,
        typer.Option("--ask", help="Ask the questions again, the recorded answers as defaults."),
    ] = False,
    conflict: Annotated[
        str, typer.Option(help="inline: conflict markers in the file; rej: a .rej file beside it.")
    ] = "inline",
    pretend: Annotated[
        bool, typer.Option("--pretend", help="Show what would change; write nothing.")
    ] = False,
    config_file: ConfigOption = None,
) -> None:
    """Bring a generated project to a newer template version, keeping the owner's edits.

    With --data or --ask, also change answers: add a database or a cache, move CI.
    Exits 4 while files are left with conflicts to resolve.
    """
    from scaffold.update import update_project

    try:
        if conflict not in ("inline", "rej"):
            raise UsageError(f"--conflict must be inline or rej, got {conflict!r}")
        if ask and not sys.stdin.isatty():
            raise UsageError("--ask needs a terminal; change answers with --data key=value")
        updated = update_project(
            project,
            vcs_ref=vcs_ref,
            data=_parse_data(data or [], data_file),
            ask=ask,
            conflict="rej" if conflict == "rej" else "inline",
            pretend=pretend,
            # At a terminal, questions new in this template version are asked.
            defaults=not sys.stdin.isatty(),
            config=config.load(config_file),
        )
    except ScaffoldError as error:
        _fail(error)
    except KeyboardInterrupt:
        typer.echo("error: interrupted; `git status` shows anything half-applied", err=True)
        raise typer.Exit(130) from None
    where = _shown(updated.project)
    if updated.previous == updated.current and not updated.answers and not updated.files:
        typer.echo(f"{where} is already on template {updated.current}")
        return
    verb = "Would update" if pretend else "Updated"
    version = _short(updated.current)
    if updated.previous != updated.current:
        version = f"{updated.previous} -> {version}"
    typer.echo(f"{verb} {where}: template {version}")
    for key, (before, after) in updated.answers.items():
        typer.echo(f"  {key}: {before} -> {after}")
    if pretend:
        for name, status in updated.files.items():
            typer.echo(f"  {status:<9} {name}")
    if updated.conflicts:
        typer.echo(f"\n{len(updated.conflicts)} file(s) need their conflicts resolved:")
        for name in updated.conflicts:
            typer.echo(f"  {name}")
        if not pretend:
            typer.echo("Resolve them, then review and commit the update.")
        raise typer.Exit(EXIT_CONFLICTS)
    if not pretend:
        typer.echo("Review the changes (git diff) and commit them.")


@app.command()
def check(
    project: ProjectArgument = Path(),
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    config_file: ConfigOption = None,
) -> None:
    """Drift check for CI: exit 0 on the newest (or pinned) template version, 3 when not.

    Exits 4 when the project is current but holds unresolved update conflicts.
    """
    from scaffold.update import check_project

    try:
        checked = check_project(project, config=config.load(config_file))
    except ScaffoldError as error:
        _fail(error)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "project": str(checked.project),
                    "template": checked.source,
                    "current": checked.current,
                    "target": checked.target,
                    "pin": checked.pin,
                    "status": checked.status,
                    "conflicts": checked.conflicts,
                },
                indent=2,
            )
        )
    else:
        pinned = f" (pinned {checked.pin})" if checked.pin else ""
        target = _short(checked.target)
        messages = {
            "up-to-date": f"up to date: template {checked.current}{pinned}",
            "behind": f"behind: template {checked.current}, "
            f"{target}{pinned} is available; run scaffold update",
            "ahead": f"ahead of the pin: template {checked.current}, pinned {target}",
        }
        typer.echo(f"{_shown(checked.project)}: {messages[checked.status]}")
        for name in checked.conflicts:
            typer.echo(f"  unresolved conflict: {name}")
    if checked.status != "up-to-date":
        raise typer.Exit(EXIT_DRIFT)
    if checked.conflicts:
        raise typer.Exit(EXIT_CONFLICTS)


@app.command()
def diff(
    project: ProjectArgument = Path(),
    stat: Annotated[
        bool, typer.Option("--stat", help="Only list changed files, with A, D or M.")
    ] = False,
) -> None:
    """Show what the owner changed, against a fresh render of the recorded version and answers."""
    from scaffold.update import diff_project

    try:
        changes = diff_project(project)
    except ScaffoldError as error:
        _fail(error)
    for change in changes:
        if stat:
            typer.echo(f"{change.status[0].upper()} {change.path}")
        else:
            typer.echo(change.patch, nl=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    config_file: ConfigOption = None,
) -> None:
    """Serve the web page and JSON API that render projects (needs scaffold[serve])."""
    from scaffold import web

    try:
        web.check_installed()
        from scaffold.web.app import serve as run

        run(host, port, config.load(config_file))
    except ScaffoldError as error:
        _fail(error)
