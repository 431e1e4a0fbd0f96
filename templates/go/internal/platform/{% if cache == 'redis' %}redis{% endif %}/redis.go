// Package redis opens the Redis client.
package redis

import (
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Timeouts that apply unless REDIS_URL sets them (dial_timeout, read_timeout,
// write_timeout). They are short because Redis is a cache: a slow Redis
// must cost a request little before it falls back to the store.
const (
	dialTimeout = 2 * time.Second
	ioTimeout   = time.Second
)

// Open returns a client for redisURL. It connects on demand and reconnects
// by itself, so an unreachable Redis shows in /readyz rather than stopping
// the start.
func Open(redisURL string) (*goredis.Client, error) {
	opts, err := goredis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = dialTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = ioTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = ioTimeout
	}
	// Let a request's deadline cut a Redis call short too.
	opts.ContextTimeoutEnabled = true
	return goredis.NewClient(opts), nil
}
