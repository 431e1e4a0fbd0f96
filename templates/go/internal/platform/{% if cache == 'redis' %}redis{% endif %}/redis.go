// Package redis opens the Redis client.
package redis

import (
	"context"
	"fmt"
	"log/slog"
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
// the start. Open also sends go-redis's own log lines, which go through a
// package-level logger, to logger, so that every line stays JSON.
func Open(redisURL string, logger *slog.Logger) (*goredis.Client, error) {
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
	// When Redis is down the store answers instead; retrying first would
	// only make every request wait for it.
	if opts.MaxRetries == 0 {
		opts.MaxRetries = -1
	}
	opts.DialerRetries = 1
	// Let a request's deadline cut a Redis call short too.
	opts.ContextTimeoutEnabled = true
	goredis.SetLogger(clientLogger{logger: logger})
	return goredis.NewClient(opts), nil
}

// clientLogger turns go-redis's log lines into warnings.
type clientLogger struct {
	logger *slog.Logger
}

func (l clientLogger) Printf(ctx context.Context, format string, v ...any) {
	l.logger.WarnContext(ctx, "redis client", "detail", fmt.Sprintf(format, v...))
}
