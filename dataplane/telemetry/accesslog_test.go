package telemetry

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a Writer the test reads while the log writes; it records each
// Write apart, to check that writes hold whole lines.
type syncBuffer struct {
	mu     sync.Mutex
	writes [][]byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes = append(b.writes, bytes.Clone(p))
	return len(p), nil
}

func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, w := range b.writes {
		if len(w) == 0 || w[len(w)-1] != '\n' {
			t.Errorf("a write does not end a line: %q", w)
		}
		sc := bufio.NewScanner(bytes.NewReader(w))
		for sc.Scan() {
			var line map[string]any
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				t.Fatalf("line %q is not JSON: %v", sc.Text(), err)
			}
			out = append(out, line)
		}
	}
	return out
}

func send(l *AccessLog, n int) {
	line := l.NewLine(time.Unix(0, 0))
	line.Int("n", int64(n))
	l.Send(line)
}

func TestAccessLogWritesEveryLineInOrder(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	l := NewAccessLog(AccessLogOptions{Writer: &out})
	for i := range 100 {
		send(l, i)
	}
	l.Close()
	lines := out.lines(t)
	if len(lines) != 100 {
		t.Fatalf("%d lines, want 100", len(lines))
	}
	for i, line := range lines {
		if line["n"] != float64(i) || line["time"] != "1970-01-01T00:00:00.000Z" {
			t.Errorf("line %d is %v", i, line)
		}
	}
	if got := l.Stats(); got != (AccessLogStats{Written: 100}) {
		t.Errorf("stats %+v", got)
	}
	// After Close, lines are dropped and counted, never written or panicking.
	send(l, 100)
	if got := l.Stats(); got.QueueFull != 1 || len(out.lines(t)) != 100 {
		t.Errorf("a line sent after Close: stats %+v", got)
	}
	l.Close() // twice is fine
}

func TestAccessLogSampling(t *testing.T) {
	t.Parallel()
	draws := []float64{0.0, 0.24, 0.25, 0.5, 0.99, 0.1}
	tests := []struct {
		rate float64
		want []bool
	}{
		{rate: 0.25, want: []bool{true, true, false, false, false, true}},
		{rate: 1, want: []bool{true, true, true, true, true, true}},
		// Zero and out-of-range rates log everything: off is a nil Writer.
		{rate: 0, want: []bool{true, true, true, true, true, true}},
		{rate: 1.5, want: []bool{true, true, true, true, true, true}},
	}
	for _, tc := range tests {
		t.Run(strconv.FormatFloat(tc.rate, 'g', -1, 64), func(t *testing.T) {
			t.Parallel()
			i := 0
			l := NewAccessLog(AccessLogOptions{Writer: &syncBuffer{}, SampleRate: tc.rate, Random: func() float64 {
				d := draws[i%len(draws)]
				i++
				return d
			}})
			defer l.Close()
			for j, want := range tc.want {
				if got := l.Sample(); got != want {
					t.Errorf("draw %v at rate %v: sampled %v, want %v", draws[j], tc.rate, got, want)
				}
			}
		})
	}
	var off *AccessLog
	if off.Sample() {
		t.Error("a nil access log sampled a request")
	}
	if NewAccessLog(AccessLogOptions{}) != nil {
		t.Error("an access log without a Writer is not off")
	}
}

// blockingWriter holds its first Write until released, so that the queue
// behind it fills.
type blockingWriter struct {
	entered chan struct{}
	release chan struct{}
	once    sync.Once
	out     syncBuffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		close(w.entered)
		<-w.release
	})
	return w.out.Write(p)
}

func TestAccessLogDropsWhenTheQueueIsFull(t *testing.T) {
	t.Parallel()
	w := &blockingWriter{entered: make(chan struct{}), release: make(chan struct{})}
	l := NewAccessLog(AccessLogOptions{Writer: w, QueueLength: 4})
	send(l, 0)
	<-w.entered // the writer holds line 0 and waits
	for i := 1; i <= 10; i++ {
		send(l, i) // 1-4 are queued, 5-10 find the queue full
	}
	if got := l.Stats().QueueFull; got != 6 {
		t.Errorf("%d lines dropped, want 6", got)
	}
	close(w.release)
	l.Close()
	lines := w.out.lines(t)
	if len(lines) != 5 {
		t.Fatalf("%d lines written, want 5", len(lines))
	}
	for i, line := range lines {
		if line["n"] != float64(i) {
			t.Errorf("line %d is %v", i, line)
		}
	}
	if got := l.Stats(); got != (AccessLogStats{Written: 5, QueueFull: 6}) {
		t.Errorf("stats %+v", got)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestAccessLogCountsWriteErrors(t *testing.T) {
	t.Parallel()
	l := NewAccessLog(AccessLogOptions{Writer: failingWriter{}})
	for i := range 3 {
		send(l, i)
	}
	l.Close()
	if got := l.Stats(); got != (AccessLogStats{WriteErrors: 3}) {
		t.Errorf("stats %+v", got)
	}
}

func TestAccessLogBatchesHoldWholeLines(t *testing.T) {
	t.Parallel()
	w := &blockingWriter{entered: make(chan struct{}), release: make(chan struct{})}
	l := NewAccessLog(AccessLogOptions{Writer: w, QueueLength: 64})
	send(l, 0)
	<-w.entered
	// Queue lines big enough that the writer must split them over several
	// writes once released.
	long := string(bytes.Repeat([]byte("x"), 10_000))
	for i := 1; i <= 40; i++ {
		line := l.NewLine(time.Unix(0, 0))
		line.Int("n", int64(i))
		line.String("long", long)
		l.Send(line)
	}
	close(w.release)
	l.Close()
	lines := w.out.lines(t) // fails on a write that does not end a line
	if len(lines) != 41 {
		t.Fatalf("%d lines, want 41", len(lines))
	}
	w.out.mu.Lock()
	writes := len(w.out.writes)
	w.out.mu.Unlock()
	if writes < 3 {
		t.Errorf("%d writes for 400 kB of lines: batches are not bounded", writes)
	}
}
