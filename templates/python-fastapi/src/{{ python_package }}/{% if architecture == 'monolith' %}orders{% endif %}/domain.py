"""Orders, the store that keeps them, and what orders need to know about items."""

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict


class Order(BaseModel):
    """A quantity of one item, priced when it was placed."""

    model_config = ConfigDict(frozen=True)

    id: str
    item_id: str
    quantity: int
    total_cents: int
    created_at: datetime


class OrderNotFoundError(LookupError):
    """The store has no order with the given id."""


class OrderStore(Protocol):
    """Keeps orders. Callers bound each call with their own deadline."""

    async def create(self, order: Order) -> None: ...

    async def get(self, order_id: str) -> Order:
        """The order with ``order_id``; OrderNotFoundError when there is none."""
        ...


class PricedItem(BaseModel):
    """What an order needs to know about an item."""

    id: str
    price_cents: int


class UnknownItemError(LookupError):
    """The item finder has no item with the given id."""


class ItemFinder(Protocol):
    """Looks up the item an order is for."""

    async def find_item(self, item_id: str) -> PricedItem:
        """The item with ``item_id``; UnknownItemError when there is none."""
        ...
