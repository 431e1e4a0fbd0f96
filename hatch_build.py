"""Ship the template with its release history.

A package carries the template as a git bundle of this repository's tags and of the
commit it is built from, so projects rendered from any install record a `_commit`
that `scaffold update` can merge from, offline, after scaffold is upgraded. A source
tree without git history (an unpacked archive) ships the template as a plain folder
instead: it renders, but its projects record no version to update from.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE = "template.bundle"


class TemplateHistoryHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            # An editable install renders from the checkout itself.
            return
        root = Path(self.root)
        bundle = self._bundle(root)
        if self.target_name == "sdist":
            if bundle is not None:
                build_data["force_include"][str(bundle)] = BUNDLE
            return
        if bundle is not None:
            build_data["force_include"][str(bundle)] = f"scaffold/{BUNDLE}"
            return
        self.app.display_warning(
            "no git history and no template.bundle: the template ships as a plain folder, "
            "and projects rendered from this build cannot be updated"
        )
        build_data["force_include"][str(root / "copier.yml")] = "scaffold/template/copier.yml"
        build_data["force_include"][str(root / "templates")] = "scaffold/template/templates"

    def _bundle(self, root: Path) -> Path | None:
        """This checkout's history as a bundle, or the one an sdist already carries."""
        if not (root / ".git").exists():
            shipped = root / BUNDLE
            return shipped if shipped.is_file() else None
        scratch = Path(tempfile.mkdtemp(prefix="scaffold-build-"))
        self._scratch = scratch
        bundle = scratch / BUNDLE
        done = subprocess.run(
            ["git", "-C", str(root), "bundle", "create", "--quiet", str(bundle), "HEAD", "--tags"],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            self.app.display_warning(f"git bundle failed: {' '.join(done.stderr.split())}")
            return None
        return bundle

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
