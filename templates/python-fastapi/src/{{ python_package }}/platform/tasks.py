"""Deadlines that do not wait for a stuck cancellation."""

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

logger = logging.getLogger(__name__)

# Work given up on past its deadline, referenced until it has finished cancelling.
_abandoned: set[asyncio.Future[Any]] = set()


async def wait_or_abandon[T](work: Awaitable[T], seconds: float) -> T:
    """Await ``work`` for at most ``seconds``, else raise TimeoutError.

    Past the deadline ``work`` is cancelled but not waited for. A database driver may
    clean up after a cancellation by talking to its server, and a server that hangs
    would hold up the caller (asyncio.timeout waits for that clean-up).
    """
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.wait_for(asyncio.shield(task), seconds)
    except TimeoutError:
        task.cancel()
        _abandoned.add(task)
        task.add_done_callback(_forget)
        raise
    except asyncio.CancelledError:
        task.cancel()
        raise


def _forget(task: asyncio.Future[Any]) -> None:
    _abandoned.discard(task)
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.debug("abandoned work failed", exc_info=error)
