"""uvicorn's HTTP/1.1 protocol with the one server timeout uvicorn lacks."""

import asyncio
from typing import ClassVar

from uvicorn.protocols.http.h11_impl import H11Protocol


class HeadTimeoutProtocol(H11Protocol):
    """Closes a connection whose client takes longer than ``read_header_timeout`` to send
    a request's head, from its first byte (or from the connection, for the first
    request): a slow client must not hold a connection open by trickling in headers.

    uvicorn's keep-alive timeout bounds the idle wait between requests; the app's
    request timeout bounds the body and the answer.
    """

    read_header_timeout: ClassVar[float] = 5.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm()

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        if self._head_timer is None and (cycle is None or cycle.response_complete):
            self._arm()
        super().data_received(data)
        if self.cycle is not cycle:
            # A request head arrived and its handling began.
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.read_header_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()
