package telemetry

import (
	"context"
	"log/slog"

	"github.com/rs/zerolog"
	"go.opentelemetry.io/otel/trace"
)

// LogHandler adds the trace_id and span_id of the current span to each log
// record, so that a log line leads to its trace and back.
type LogHandler struct {
	slog.Handler
}

// NewLogHandler wraps next.
func NewLogHandler(next slog.Handler) *LogHandler {
	return &LogHandler{Handler: next}
}

// Handle adds the span's IDs, if the context has a span, and passes r on.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(
			slog.String("trace_id", sc.TraceID().String()),
			slog.String("span_id", sc.SpanID().String()),
		)
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper around the derived handler.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogHandler{Handler: h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around the derived handler.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{Handler: h.Handler.WithGroup(name)}
}

// TraceHook adds the trace_id and span_id of the request's span to its
// access line (see web.AccessLog), as LogHandler does for the other lines.
type TraceHook struct{}

// Run adds the span's IDs, if the event's context has a span.
func (TraceHook) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	if sc := trace.SpanContextFromContext(e.GetCtx()); sc.IsValid() {
		e.Str("trace_id", sc.TraceID().String()).Str("span_id", sc.SpanID().String())
	}
}
