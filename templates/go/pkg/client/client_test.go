package client

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestNewHasDefaultTimeout(t *testing.T) {
	t.Parallel()
	if got := New("http://localhost").http.Timeout; got != DefaultTimeout {
		t.Errorf("timeout = %v, want %v", got, DefaultTimeout)
	}
}

func TestGetItem(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/items/W1":
			_, _ = w.Write([]byte(`{"id":"W1","name":"Widget","price_cents":1250,"created_at":"2026-01-02T03:04:05Z"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":"not_found","message":"no item with this id","request_id":"r1"}}`))
		}
	}))
	t.Cleanup(srv.Close)
	c := New(srv.URL + "/")

	item, err := c.GetItem(t.Context(), "W1")
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if item.Name != "Widget" || item.PriceCents != 1250 || item.CreatedAt.IsZero() {
		t.Errorf("item = %+v", item)
	}

	_, err = c.GetItem(t.Context(), "nope")
	apiErr, ok := errors.AsType[*APIError](err)
	if !ok {
		t.Fatalf("GetItem error = %v, want an *APIError", err)
	}
	if apiErr.StatusCode != http.StatusNotFound || apiErr.Code != "not_found" || apiErr.RequestID != "r1" {
		t.Errorf("error = %+v", apiErr)
	}
}

func TestErrorWithoutEnvelope(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)

	err := New(srv.URL).Healthz(t.Context())
	if apiErr, ok := errors.AsType[*APIError](err); !ok || apiErr.StatusCode != http.StatusBadGateway {
		t.Errorf("Healthz error = %v, want an *APIError with status 502", err)
	}
}
