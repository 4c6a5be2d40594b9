package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// get fetches a JSON document with the runtime's client, bounded in time and
// size.
func (r *Runtime) get(ctx context.Context, url string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	return r.do(req)
}

// do sends req and returns the body of a 200 answer, at most MaxResponseBytes.
func (r *Runtime) do(req *http.Request) ([]byte, error) {
	resp, err := r.opts.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, fmt.Errorf("%s %s answered %s", req.Method, req.URL.Redacted(), resp.Status)
	}
	limit := r.opts.MaxResponseBytes
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer of %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("the answer of %s %s is larger than %d bytes", req.Method, req.URL.Redacted(), limit)
	}
	return body, nil
}

// postForm posts an application/x-www-form-urlencoded body.
func (r *Runtime) postForm(ctx context.Context, url, form string, setAuth func(*http.Request)) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.FetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(form))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	setAuth(req)
	return r.do(req)
}
