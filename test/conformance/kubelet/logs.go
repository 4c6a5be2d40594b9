package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// Container logs are kept as the CRI does: one file per container instance, one
// line per line of output, "<RFC3339Nano time> <stream> <text>", so that pods/log
// can filter by time and show timestamps.

// logSink appends the lines of a process's stdout and stderr to its log file.
type logSink struct {
	mu   sync.Mutex
	file *os.File
	now  func() time.Time
}

func newLogSink(path string) (*logSink, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &logSink{file: f, now: time.Now}, nil
}

// copyFrom writes every line read from r, tagged with stream, until r ends.
func (s *logSink) copyFrom(stream string, r io.Reader) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if line[len(line)-1] != '\n' {
				line += "\n"
			}
			s.mu.Lock()
			_, _ = fmt.Fprintf(s.file, "%s %s %s", s.now().UTC().Format(time.RFC3339Nano), stream, line)
			s.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

func (s *logSink) Close() error { return s.file.Close() }

// logOptions are the pods/log query parameters the API server passes on.
type logOptions struct {
	follow     bool
	previous   bool
	timestamps bool
	since      time.Time // zero: from the start
	tailLines  int       // negative: all
	limitBytes int64     // zero: no limit
}

func parseLogOptions(q url.Values, now time.Time) (logOptions, error) {
	opts := logOptions{tailLines: -1}
	var err error
	boolean := func(name string) bool {
		if err != nil || q.Get(name) == "" {
			return false
		}
		var v bool
		v, err = strconv.ParseBool(q.Get(name))
		return v
	}
	opts.follow, opts.previous, opts.timestamps = boolean("follow"), boolean("previous"), boolean("timestamps")
	if err != nil {
		return opts, err
	}
	if v := q.Get("sinceSeconds"); v != "" {
		seconds, err := strconv.ParseInt(v, 10, 64)
		if err != nil || seconds <= 0 {
			return opts, fmt.Errorf("sinceSeconds must be a positive integer, not %q", v)
		}
		opts.since = now.Add(-time.Duration(seconds) * time.Second)
	}
	if v := q.Get("sinceTime"); v != "" {
		if opts.since, err = time.Parse(time.RFC3339, v); err != nil {
			return opts, fmt.Errorf("sinceTime must be an RFC 3339 time: %w", err)
		}
	}
	if v := q.Get("tailLines"); v != "" {
		if opts.tailLines, err = strconv.Atoi(v); err != nil || opts.tailLines < 0 {
			return opts, fmt.Errorf("tailLines must be a non-negative integer, not %q", v)
		}
	}
	if v := q.Get("limitBytes"); v != "" {
		if opts.limitBytes, err = strconv.ParseInt(v, 10, 64); err != nil || opts.limitBytes <= 0 {
			return opts, fmt.Errorf("limitBytes must be a positive integer, not %q", v)
		}
	}
	return opts, nil
}

// logLine is one parsed line of a log file.
type logLine struct {
	time time.Time
	raw  []byte // the whole line, newline included
	text []byte // the output, newline included
}

func parseLogLine(raw []byte) (logLine, bool) {
	stamp, rest, ok := bytes.Cut(raw, []byte(" "))
	if !ok {
		return logLine{}, false
	}
	_, text, ok := bytes.Cut(rest, []byte(" "))
	if !ok {
		return logLine{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(stamp))
	if err != nil {
		return logLine{}, false
	}
	return logLine{time: t, raw: raw, text: text}, true
}

// limitedWriter stops writing after a number of bytes.
type limitedWriter struct {
	w    io.Writer
	left int64 // negative: no limit
}

var errLimitReached = errors.New("limitBytes reached")

func (l *limitedWriter) write(line logLine, timestamps bool) error {
	out := line.text
	if timestamps {
		out = append([]byte(line.time.Format(time.RFC3339Nano)+" "), line.text...)
	}
	if l.left >= 0 && int64(len(out)) >= l.left {
		_, _ = l.w.Write(out[:l.left])
		return errLimitReached
	}
	if l.left >= 0 {
		l.left -= int64(len(out))
	}
	_, err := l.w.Write(out)
	if f, ok := l.w.(http.Flusher); ok {
		f.Flush()
	}
	return err
}

// writeLogs copies the log file at path to w as opts ask. With follow, it keeps
// copying what is appended until ctx ends or running is closed (the container
// instance stopped) and everything has been read.
func writeLogs(ctx context.Context, w io.Writer, path string, opts logOptions, running <-chan struct{}) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	out := &limitedWriter{w: w, left: -1}
	if opts.limitBytes > 0 {
		out.left = opts.limitBytes
	}
	r := bufio.NewReader(f)
	var kept []logLine
	var partial []byte
	// readAvailable reads the complete lines present now.
	readAvailable := func(emit func(logLine) error) error {
		for {
			chunk, err := r.ReadBytes('\n')
			partial = append(partial, chunk...)
			if err != nil {
				return nil // EOF: keep the partial line for later
			}
			line, ok := parseLogLine(partial)
			partial = nil
			if !ok || line.time.Before(opts.since) {
				continue
			}
			if err := emit(line); err != nil {
				return err
			}
		}
	}
	if err := readAvailable(func(line logLine) error {
		kept = append(kept, line)
		if opts.tailLines >= 0 && len(kept) > opts.tailLines {
			kept = kept[1:]
		}
		return nil
	}); err != nil {
		return err
	}
	for _, line := range kept {
		if err := out.write(line, opts.timestamps); err != nil {
			return ignoreLimit(err)
		}
	}
	if !opts.follow {
		return nil
	}
	emit := func(line logLine) error { return out.write(line, opts.timestamps) }
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-running:
			// The instance stopped: copy the rest, then end the stream.
			return ignoreLimit(readAvailable(emit))
		case <-ticker.C:
			if err := readAvailable(emit); err != nil {
				return ignoreLimit(err)
			}
		}
	}
}

func ignoreLimit(err error) error {
	if errors.Is(err, errLimitReached) {
		return nil
	}
	return err
}
