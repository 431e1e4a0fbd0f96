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
    # When the head now awaited began to arrive; None while a request is being served.
    _head_since: float | None = None
    # At most one timer per connection, checking the head awaited when it fires: a timer
    # per request, armed at its first byte and cancelled once its head was in, cost every
    # request a timer handle pushed onto the event loop's heap and popped off again.
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._await_head()

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        if self._head_since is None and (cycle is None or cycle.response_complete):
            self._await_head()
        super().data_received(data)
        if self.cycle is not cycle:
            # A request head arrived and its handling began.
            self._head_since = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._head_since = self.loop.time()
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.read_header_timeout, self._check_head)

    def _check_head(self) -> None:
        self._head_timer = None
        if self._head_since is None:
            # No head is awaited; the next one arms a timer of its own.
            return
        left = self._head_since + self.read_header_timeout - self.loop.time()
        if left > 0:
            self._head_timer = self.loop.call_later(left, self._check_head)
        elif not self.transport.is_closing():
            self.transport.close()
