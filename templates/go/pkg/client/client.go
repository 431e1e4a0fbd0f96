// Package client is a typed Go client for the service's HTTP API.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds each call, unless WithHTTPClient supplies a client
// with its own timeout.
const DefaultTimeout = 10 * time.Second

// Client calls the API at one base URL. It is safe for concurrent use.
type Client struct {
	baseURL string
	http    *http.Client
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.http = hc }
}

// New returns a Client for the API at baseURL, such as http://localhost:8080.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		baseURL: strings.TrimSuffix(baseURL, "/"),
		http:    &http.Client{Timeout: DefaultTimeout},
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// APIError is an error answered by the API.
type APIError struct {
	StatusCode int               `json:"-"`
	Code       string            `json:"code"`
	Message    string            `json:"message"`
	RequestID  string            `json:"request_id"`
	Fields     map[string]string `json:"fields"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("api: %d %s: %s (request %s)", e.StatusCode, e.Code, e.Message, e.RequestID)
}

// Healthz returns nil when the service is alive.
func (c *Client) Healthz(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, nil, http.StatusOK)
}

// Item is something that can be sold.
type Item struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	PriceCents int64     `json:"price_cents"`
	CreatedAt  time.Time `json:"created_at"`
}

// NewItem is what it takes to create an item.
type NewItem struct {
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
}

// CreateItem creates an item.
func (c *Client) CreateItem(ctx context.Context, in NewItem) (Item, error) {
	var item Item
	err := c.do(ctx, http.MethodPost, "/v1/items", in, &item, http.StatusCreated)
	return item, err
}

// GetItem returns the item with the given ID.
func (c *Client) GetItem(ctx context.Context, id string) (Item, error) {
	var item Item
	err := c.do(ctx, http.MethodGet, "/v1/items/"+url.PathEscape(id), nil, &item, http.StatusOK)
	return item, err
}

// do sends in, if not nil, as the JSON body and decodes a response with
// status want into out, if not nil. Any other status is an *APIError.
func (c *Client) do(ctx context.Context, method, path string, in, out any, want int) error {
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() {
		// Reading the body to its end lets the connection be reused.
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}()

	if resp.StatusCode != want {
		apiErr := &APIError{StatusCode: resp.StatusCode}
		// A body that is not the API's error envelope (from a proxy, say)
		// leaves only the status code to report.
		_ = json.NewDecoder(resp.Body).Decode(&struct {
			Error *APIError `json:"error"`
		}{Error: apiErr})
		return apiErr
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}
