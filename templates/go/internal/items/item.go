// Package items is the items module: an item is something that can be sold.
package items

import (
	"context"
	"errors"
	"time"
)

// Item is something that can be sold.
type Item struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	PriceCents int64     `json:"price_cents"`
	CreatedAt  time.Time `json:"created_at"`
}

// ErrNotFound is returned by a Store that has no item with the given ID.
var ErrNotFound = errors.New("item not found")

// Store keeps items. Implementations honour the context's deadline.
type Store interface {
	Create(ctx context.Context, item Item) error
	Get(ctx context.Context, id string) (Item, error)
}
