// Package web is the HTTP plumbing every module shares: JSON responses, the
// error envelope, request decoding and the request ID.
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
)

// statusClientClosedRequest is nginx's code for a client that went away
// before the response. Nobody reads the response; the access log does.
const statusClientClosedRequest = 499

// RequestIDHeader is X-Request-ID as net/http spells header names, so that
// reading and setting it on every request need not convert it first.
const RequestIDHeader = "X-Request-Id"

type ctxKey struct{}

// WithRequestID returns a copy of ctx that carries the request ID.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// RequestID returns the request ID carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// Error is an error that knows how the API answers it.
type Error struct {
	Status  int
	Code    string
	Message string
	// Fields maps each invalid field of the request body to what is wrong with it.
	Fields map[string]string
}

func (e *Error) Error() string { return e.Message }

// BadRequest is a 400: the request cannot be understood.
func BadRequest(message string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: message}
}

// NotFound is a 404.
func NotFound(message string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: message}
}

// MethodNotAllowed is a 405: the path exists, but not for this method.
func MethodNotAllowed(method, path string) *Error {
	return &Error{
		Status:  http.StatusMethodNotAllowed,
		Code:    "method_not_allowed",
		Message: method + " is not allowed on " + path,
	}
}

// Invalid is a 422: the request is well-formed JSON but its content is wrong.
func Invalid(fields map[string]string) *Error {
	return &Error{
		Status:  http.StatusUnprocessableEntity,
		Code:    "validation_failed",
		Message: "the request body has invalid fields",
		Fields:  fields,
	}
}

// TooLarge is a 413: the request body is over limit bytes.
func TooLarge(limit int64) *Error {
	return &Error{
		Status:  http.StatusRequestEntityTooLarge,
		Code:    "payload_too_large",
		Message: "the request body is larger than " + strconv.FormatInt(limit, 10) + " bytes",
	}
}

// Internal is a 500. It tells the client nothing about the cause, which is
// for the logs only.
func Internal() *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal server error"}
}

// JSON writes v as the response body.
func JSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only a bug gets here, such as a func value in v. The panic reaches
		// the recovery middleware, which logs it and answers 500.
		panic(fmt.Errorf("encode response: %w", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	// A failed write means the client has gone: there is no one left to tell.
	_, _ = w.Write(body)
}

type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	RequestID string            `json:"request_id"`
	Fields    map[string]string `json:"fields,omitempty"`
}

// WriteError writes the API's error envelope.
func WriteError(w http.ResponseWriter, r *http.Request, e *Error) {
	JSON(w, e.Status, errorEnvelope{Error: errorBody{
		Code:      e.Code,
		Message:   e.Message,
		RequestID: RequestID(r.Context()),
		Fields:    e.Fields,
	}})
}

// Fail answers a request that failed with err. Errors of type *Error say how;
// a passed deadline is a 504; anything else is logged and hidden behind a 500,
// because its text may reveal internals.
func Fail(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	if apiErr, ok := errors.AsType[*Error](err); ok {
		WriteError(w, r, apiErr)
		return
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		WriteError(w, r, &Error{
			Status:  http.StatusGatewayTimeout,
			Code:    "timeout",
			Message: "the request took longer than the server allows",
		})
	case errors.Is(err, context.Canceled):
		WriteError(w, r, &Error{
			Status:  statusClientClosedRequest,
			Code:    "canceled",
			Message: "the client closed the request",
		})
	default:
		logger.ErrorContext(r.Context(), "request failed",
			"request_id", RequestID(r.Context()),
			"error", err,
		)
		WriteError(w, r, Internal())
	}
}
