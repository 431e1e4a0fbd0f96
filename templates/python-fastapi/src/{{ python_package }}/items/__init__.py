"""The items module: an item is something that can be sold."""
