// Package orders is the orders module: an order is a quantity of one item.
// It knows items only through ItemFinder, an interface it owns, so the two
// modules can change, and one day be split, independently.
package orders

import (
	"context"
	"errors"
	"time"
)

// Order is a quantity of one item, priced when it was placed.
type Order struct {
	ID         string    `json:"id"`
	ItemID     string    `json:"item_id"`
	Quantity   int       `json:"quantity"`
	TotalCents int64     `json:"total_cents"`
	CreatedAt  time.Time `json:"created_at"`
}

// ErrNotFound is returned by a Store that has no order with the given ID.
var ErrNotFound = errors.New("order not found")

// Store keeps orders. Implementations honour the context's deadline.
type Store interface {
	Create(ctx context.Context, order Order) error
	Get(ctx context.Context, id string) (Order, error)
}

// Item is what an order needs to know about an item.
type Item struct {
	ID         string
	PriceCents int64
}

// ErrItemNotFound is returned by an ItemFinder that has no item with the given ID.
var ErrItemNotFound = errors.New("item not found")

// ItemFinder looks up the item an order is for.
type ItemFinder interface {
	FindItem(ctx context.Context, id string) (Item, error)
}
