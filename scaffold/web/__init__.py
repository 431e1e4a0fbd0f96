"""`scaffold serve`: the web page and the JSON API over the library (the `serve` extra).

`project` holds what the API answers and imports no web framework; `app` is the ASGI
application; `static/` and `templates/` are the page. Only `check_installed` is safe to
call without the extra.
"""

from __future__ import annotations

from scaffold.errors import MissingExtraError

EXTRA = ("starlette", "uvicorn")


def check_installed() -> None:
    """Refuse in one line when the `serve` extra is missing."""
    missing = []
    for name in EXTRA:
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise MissingExtraError(
            f"scaffold serve needs {' and '.join(missing)}: pip install 'scaffold[serve]'"
        )
