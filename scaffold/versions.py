"""Template versions: the tags of a template's git repository, and the pin that picks one.

`new`, `update` and `check` all ask `scaffold.template.Template` which version to
render, and it asks here, so the three always agree. Sources are read with
`git ls-remote`, which answers for URLs, local repositories and bundle files alike;
a local source needs no network.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from scaffold.errors import TemplateError

_DESCRIBED = re.compile(r"-g(?P<sha>[0-9a-f]{4,40})$")
_SPECIFIER_START = re.compile(r"^\s*(~=|==|!=|<=|>=|<|>|===)")


@dataclass(frozen=True)
class Pin:
    """An exact tag (`v1.4.2`) or a PEP 440 specifier (`~=1.4`, `>=1.2,<2`)."""

    text: str

    @property
    def specifier(self) -> SpecifierSet | None:
        if not _SPECIFIER_START.match(self.text):
            return None
        return SpecifierSet(self.text)

    def allows(self, tag: str) -> bool:
        specifier = self.specifier
        if specifier is None:
            return tag == self.text
        version = version_of(tag)
        return version is not None and specifier.contains(version)


def parse_pin(text: str) -> Pin:
    """Validate a pin as written in an org config; raise ValueError with the reason."""
    pin = Pin(str(text).strip())
    if not pin.text:
        raise ValueError("the version pin is empty")
    try:
        pin.specifier  # noqa: B018  (parses, or raises)
    except InvalidSpecifier:
        raise ValueError(f"version pin {pin.text!r} is not a tag or a PEP 440 specifier") from None
    return pin


def version_of(tag: str) -> Version | None:
    try:
        return Version(tag)
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class Refs:
    """What a template source offers: its HEAD commit and its tags, name to commit."""

    head: str | None
    tags: dict[str, str]

    def versions(self) -> list[str]:
        """Release tags, oldest first; pre-releases only when nothing else exists."""
        tagged = {t: v for t in self.tags if (v := version_of(t)) is not None}
        releases = {t: v for t, v in tagged.items() if not v.is_prerelease}
        chosen = releases or tagged
        return sorted(chosen, key=chosen.__getitem__)

    def commit_of(self, ref: str) -> str | None:
        """The commit a tag, commit or `git describe` string names, as far as it is known."""
        if ref in self.tags:
            return self.tags[ref]
        described = _DESCRIBED.search(ref)
        prefix = described.group("sha") if described else ref
        if re.fullmatch(r"[0-9a-f]{4,40}", prefix):
            return prefix
        return None


def refs(source: str) -> Refs:
    done = subprocess.run(
        # git reads a local path as given; `~` is the shell's to expand, and ours here.
        ["git", "ls-remote", "--", os.path.expanduser(source)],
        capture_output=True,
        text=True,
        check=False,
        # A source that wants credentials fails here instead of prompting.
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
    )
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"git ls-remote exited {done.returncode}"
        raise TemplateError(f"cannot read the versions of template {source}: {reason}")
    head: str | None = None
    tags: dict[str, str] = {}
    for line in done.stdout.splitlines():
        sha, _, name = line.partition("\t")
        if name == "HEAD":
            head = sha
        elif name.startswith("refs/tags/"):
            tag = name.removeprefix("refs/tags/")
            # Annotated tags are listed twice; the peeled line names the commit.
            if tag.endswith("^{}"):
                tags[tag.removesuffix("^{}")] = sha
            else:
                tags.setdefault(tag, sha)
    return Refs(head=head, tags=tags)


def check_pinned(ref: str, pin: Pin | None) -> None:
    if pin is not None and not pin.allows(ref):
        raise TemplateError(f"version {ref} does not satisfy the pinned version {pin.text}")


def newest(found: Refs, source: str, *, pin: Pin | None, follow_head: bool) -> str:
    """The version to render when none is asked for: the newest tag the pin allows.

    Without a pin, the newest release tag, unless ``follow_head`` or the source has no
    release tags: then its HEAD commit.
    """
    if pin is not None:
        if pin.specifier is None and pin.text in found.tags:
            return pin.text
        allowed = [t for t in found.versions() if pin.allows(t)]
        if not allowed:
            offered = ", ".join(found.versions()) or "none"
            raise TemplateError(
                f"no version of template {source} matches the pin {pin.text} (versions: {offered})"
            )
        return allowed[-1]
    if not follow_head and found.versions():
        return found.versions()[-1]
    if found.head is None:
        raise TemplateError(f"template {source} has no commits")
    return found.head


def same_version(recorded: str, wanted: str, source_refs: Callable[[], Refs]) -> bool:
    """Whether a project's recorded `_commit` is the version ``wanted`` names; the
    source's refs are read only when the two names differ."""
    if recorded == wanted:
        return True
    found = source_refs()
    have, want = found.commit_of(recorded), found.commit_of(wanted)
    if have is None or want is None:
        return False
    return want.startswith(have) or have.startswith(want)
