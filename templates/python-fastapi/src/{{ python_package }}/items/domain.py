"""Items, and the store that keeps them."""

from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict


class Item(BaseModel):
    """Something that can be sold."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    price_cents: int
    created_at: datetime


class ItemNotFoundError(LookupError):
    """The store has no item with the given id."""


class ItemStore(Protocol):
    """Keeps items. Callers bound each call with their own deadline."""

    async def create(self, item: Item) -> None: ...

    async def get(self, item_id: str) -> Item:
        """The item with ``item_id``; ItemNotFoundError when there is none."""
        ...
