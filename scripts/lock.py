"""Write or check the lockfile templates of the stacks (scripts/lockfiles/core.py says how).

Rerun after changing a pinned version (it needs each stack's toolchain and the
package registries):

    python scripts/lock.py go python-fastapi          # re-resolve and rewrite the templates
    python scripts/lock.py --all --check              # only verify every stack's templates
    python scripts/lock.py python-fastapi --upgrade   # unpinned versions to the newest too
"""

from __future__ import annotations

import argparse
import sys
import time

from lockfiles import ADAPTERS
from lockfiles.core import LockError, Universe, lock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stacks", nargs="*", metavar="STACK", help=", ".join(ADAPTERS))
    parser.add_argument("--all", action="store_true", help="every stack with an adapter")
    parser.add_argument("--check", action="store_true", help="verify, do not write")
    parser.add_argument(
        "--upgrade", action="store_true", help="resolve afresh, not from the current lockfiles"
    )
    args = parser.parse_args()
    stacks = list(ADAPTERS) if args.all else args.stacks
    if not stacks:
        parser.error("name a stack or pass --all")
    if unknown := [stack for stack in stacks if stack not in ADAPTERS]:
        parser.error(
            f"no lockfile adapter for {', '.join(unknown)}; choose from {', '.join(ADAPTERS)}"
        )
    if args.check and args.upgrade:
        parser.error("--upgrade rewrites the templates; it does not go with --check")

    failed = False
    for stack in stacks:
        adapter, start = ADAPTERS[stack], time.monotonic()
        try:
            problems = lock(adapter, write=not args.check, upgrade=args.upgrade)
        except LockError as error:
            problems = [str(error)]
        took = f"{time.monotonic() - start:.0f} s"
        if problems:
            failed = True
            print(
                f"{stack}: {len(problems)} problems ({took})", *problems, sep="\n", file=sys.stderr
            )
            continue
        count = len(Universe.of(stack).combos)
        files = " and ".join(adapter.lockfiles)
        verb = "match" if len(adapter.lockfiles) > 1 else "matches"
        print(f"{stack}: {files} {verb} {adapter.tool} in all {count} combinations ({took})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
