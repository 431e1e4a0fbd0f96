package web

import (
	"context"
	"log/slog"
	"time"
)

// LogRequest writes the one access line of a request.
//
// It hands the record to the handler itself rather than calling
// logger.LogAttrs, which walks the stack on every call to find the source
// position that this line never shows.
func LogRequest(ctx context.Context, logger *slog.Logger, method, path string, status int, elapsed time.Duration) {
	handler := logger.Handler()
	if !handler.Enabled(ctx, slog.LevelInfo) {
		return
	}
	record := slog.NewRecord(time.Now(), slog.LevelInfo, "request", 0)
	record.AddAttrs(
		slog.String("request_id", RequestID(ctx)),
		slog.String("method", method),
		slog.String("path", path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
	)
	// A failed write to the log has nowhere better to be reported.
	_ = handler.Handle(ctx, record)
}
