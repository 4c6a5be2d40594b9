package controllers

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/turnpike-gateway/turnpike/controllers/compiler"
	"github.com/turnpike-gateway/turnpike/dataplane/snapshot"
)

// countingPublisher records how many snapshots it was given.
type countingPublisher struct{ published atomic.Int64 }

func (p *countingPublisher) Publish(*snapshot.Snapshot) snapshot.PublishResult {
	p.published.Add(1)
	return snapshot.PublishResult{}
}

func TestLoopMetricsFollowCompiles(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	publisher := &countingPublisher{}
	loop := NewCompileLoop(LoopOptions{
		Source: func(context.Context) (compiler.Input, error) {
			if failing.Load() {
				return compiler.Input{}, errors.New("cache unavailable")
			}
			return compiler.Input{}, nil
		},
		Publisher: publisher,
		Debounce:  time.Millisecond,
		MaxDelay:  5 * time.Millisecond,
		Log:       logr.Discard(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- loop.Start(ctx) }()
	defer func() { cancel(); <-done }()

	waitUntil(t, func() bool { return publisher.published.Load() == 1 })
	m := loop.metrics
	if got := testutil.ToFloat64(m.compiles.WithLabelValues("published")); got != 1 {
		t.Errorf("compiles published = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.generation); got != 1 {
		t.Errorf("generation = %v, want 1", got)
	}
	if got := sampleCount(t, m.changeToLive); got != 1 {
		t.Errorf("change-to-live observations = %d, want 1 (the start)", got)
	}

	failing.Store(true)
	loop.Trigger()
	waitUntil(t, func() bool { return testutil.ToFloat64(m.compiles.WithLabelValues("error")) == 1 })
	if got := testutil.ToFloat64(m.generation); got != 1 {
		t.Errorf("a failed compile changed the generation to %v", got)
	}
}

// sampleCount reads how many observations a histogram holds.
func sampleCount(t *testing.T, h prometheus.Histogram) uint64 {
	t.Helper()
	var out dto.Metric
	if err := h.Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.GetHistogram().GetSampleCount()
}

func waitUntil(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
	}
}
