package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestFail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantLogged bool
	}{
		{name: "api error", err: NotFound("no such thing"), wantStatus: http.StatusNotFound, wantCode: "not_found"},
		{name: "wrapped api error", err: fmt.Errorf("lookup: %w", BadRequest("bad")), wantStatus: http.StatusBadRequest, wantCode: "bad_request"},
		{name: "deadline", err: fmt.Errorf("query: %w", context.DeadlineExceeded), wantStatus: http.StatusGatewayTimeout, wantCode: "timeout"},
		{name: "canceled", err: context.Canceled, wantStatus: statusClientClosedRequest, wantCode: "canceled"},
		{name: "internal", err: errors.New("pq: password authentication failed"), wantStatus: http.StatusInternalServerError, wantCode: "internal", wantLogged: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			r := httptest.NewRequestWithContext(WithRequestID(t.Context(), "req-1"), http.MethodGet, "/", http.NoBody)
			w := httptest.NewRecorder()
			Fail(w, r, slog.New(slog.NewJSONHandler(&logs, nil)), tt.err)

			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			var body errorEnvelope
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Error.Code != tt.wantCode || body.Error.RequestID != "req-1" {
				t.Errorf("error = %+v, want code %q and request_id req-1", body.Error, tt.wantCode)
			}
			if strings.Contains(w.Body.String(), "password") {
				t.Errorf("body %s leaks the internal error", w.Body)
			}
			if logged := strings.Contains(logs.String(), "password authentication failed"); logged != tt.wantLogged {
				t.Errorf("error logged = %v, want %v", logged, tt.wantLogged)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	type input struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	tests := []struct {
		body       string
		wantStatus int
		wantField  string
	}{
		{body: `{"name":"a","count":1}`},
		{body: ``, wantStatus: http.StatusBadRequest},
		{body: `{"name":`, wantStatus: http.StatusBadRequest},
		{body: `{"name":"a"} {"name":"b"}`, wantStatus: http.StatusBadRequest},
		{body: `"just a string"`, wantStatus: http.StatusBadRequest},
		{body: `{"count":"one"}`, wantStatus: http.StatusUnprocessableEntity, wantField: "count"},
		{body: `{"extra":true}`, wantStatus: http.StatusUnprocessableEntity, wantField: "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", strings.NewReader(tt.body))
			var in input
			err := Decode(r, &in)
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			apiErr, ok := errors.AsType[*Error](err)
			if !ok {
				t.Fatalf("Decode error = %v, want an *Error", err)
			}
			if apiErr.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d (%s)", apiErr.Status, tt.wantStatus, apiErr.Message)
			}
			if tt.wantField != "" && apiErr.Fields[tt.wantField] == "" {
				t.Errorf("fields = %v, want an error for %q", apiErr.Fields, tt.wantField)
			}
		})
	}
}

func TestInteger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		count string
		want  Integer
		ok    bool
	}{
		{count: "12", want: 12, ok: true},
		{count: "12.0", want: 12, ok: true},
		{count: "1.2e1", want: 12, ok: true},
		{count: "-0.0", want: 0, ok: true},
		{count: "12.5"},
		{count: "1e300", want: math.MaxInt64, ok: true},
		{count: "-1e400", want: math.MinInt64, ok: true},
		{count: `"12"`},
		{count: "true"},
	}
	for _, tt := range tests {
		t.Run(tt.count, func(t *testing.T) {
			t.Parallel()
			body := strings.NewReader(`{"count":` + tt.count + `}`)
			r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", body)
			var in struct {
				Count *Integer `json:"count"`
			}
			err := Decode(r, &in)
			if !tt.ok {
				apiErr, isAPIErr := errors.AsType[*Error](err)
				if !isAPIErr || apiErr.Fields["count"] != "must be an integer" {
					t.Fatalf("Decode error = %v, want count: must be an integer", err)
				}
				return
			}
			if err != nil || in.Count == nil || *in.Count != tt.want {
				t.Fatalf("Decode = %v, %v; want %d", in.Count, err, tt.want)
			}
		})
	}
}

func TestDecodeTooLarge(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", strings.NewReader(`{"name":"`+strings.Repeat("x", 100)+`"}`))
	r.Body = http.MaxBytesReader(w, r.Body, 10)
	var in struct {
		Name string `json:"name"`
	}
	if apiErr, ok := errors.AsType[*Error](Decode(r, &in)); !ok || apiErr.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("Decode of an oversized body = %v, want a 413 *Error", apiErr)
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	level := new(slog.LevelVar)
	access := NewAccessLog(&logs, level)
	ctx := WithRequestID(t.Context(), "req-1")

	access.Log(ctx, http.MethodPost, "/v1/items", http.StatusCreated, 1500*time.Microsecond)
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("access line %q is not JSON: %v", logs.String(), err)
	}
	want := map[string]any{
		"level": "INFO", "msg": "request", "request_id": "req-1", "method": "POST",
		"path": "/v1/items", "status": float64(201), "duration_ms": 1.5,
	}
	for key, value := range want {
		if line[key] != value {
			t.Errorf("%s = %v, want %v", key, line[key], value)
		}
	}
	if _, err := time.Parse(time.RFC3339, fmt.Sprint(line["time"])); err != nil {
		t.Errorf("time = %v, want RFC 3339: %v", line["time"], err)
	}

	logs.Reset()
	level.Set(slog.LevelWarn)
	access.Log(ctx, http.MethodGet, "/healthz", http.StatusOK, time.Millisecond)
	if logs.Len() != 0 {
		t.Errorf("LOG_LEVEL=warn wrote an access line: %s", logs.String())
	}
}

// An access line reads like the service's other lines: the same leading
// fields, in the same order.
func TestAccessLogMatchesSlog(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("request")
	NewAccessLog(&logs, slog.LevelInfo).Log(t.Context(), http.MethodGet, "/", http.StatusOK, 0)

	lines := strings.Split(strings.TrimSuffix(logs.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2: %q", len(lines), logs.String())
	}
	shape := regexp.MustCompile(`^\{"time":"[^"]+","level":"INFO","msg":"request"`)
	for _, line := range lines {
		if !shape.MatchString(line) {
			t.Errorf("line %s does not start like %s", line, shape)
		}
	}
}

// A path is whatever the client sent, once decoded: the line stays one
// valid JSON object whatever it holds.
func TestAccessLogEscapesPath(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	path := "/v1/items/\"quoted\"\n\x00\xff\u2028"
	NewAccessLog(&logs, slog.LevelInfo).Log(t.Context(), http.MethodGet, path, http.StatusNotFound, 0)

	if strings.Count(logs.String(), "\n") != 1 {
		t.Fatalf("access line is not one line: %q", logs.String())
	}
	var line struct{ Path string }
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("access line %q is not JSON: %v", logs.String(), err)
	}
	if want := strings.ToValidUTF8(path, "\ufffd"); line.Path != want {
		t.Errorf("path = %q, want %q", line.Path, want)
	}
}

func TestNewRequestID(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[A-Z2-7]{26}$`)
	seen := make(map[string]bool)
	for range 1000 {
		id := NewRequestID()
		if !valid.MatchString(id) {
			t.Fatalf("NewRequestID() = %q, want 26 base32 characters", id)
		}
		if seen[id] {
			t.Fatalf("NewRequestID() repeated %q", id)
		}
		seen[id] = true
	}
}
