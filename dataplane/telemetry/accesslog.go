package telemetry

import (
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for AccessLogOptions.
const (
	// DefaultQueueLength is how many lines may wait for the writer before new
	// ones are dropped.
	DefaultQueueLength = 8192
	// DefaultFlushInterval is how long a line may wait in the queue.
	DefaultFlushInterval = 50 * time.Millisecond
)

// batchBytes is how much the writer gathers before one Write. Writes hold
// whole lines only, so that a line is never split around another writer's
// output on a shared stream.
const batchBytes = 64 << 10

// AccessLogOptions configure the access log.
type AccessLogOptions struct {
	// Writer receives the lines, JSON one per line. Nil turns the access log off.
	Writer io.Writer
	// SampleRate is the share of requests logged, in (0, 1]. Zero (and anything
	// out of range) logs every request; to log none, leave Writer nil.
	SampleRate float64
	// QueueLength bounds the lines waiting to be written; DefaultQueueLength
	// when zero.
	QueueLength int
	// FlushInterval is how often the writer wakes to write what is queued
	// (sooner when the queue is half full); DefaultFlushInterval when zero.
	// Waking it for every line would make each logged request pay for a
	// goroutine wake-up, several times the cost of rendering the line.
	FlushInterval time.Duration
	// Random returns a number in [0, 1) for sampling; math/rand/v2's Float64
	// when nil. Tests inject their own.
	Random func() float64
}

// AccessLog writes access-log lines without ever making a request wait: lines
// go into a bounded queue that one goroutine drains, and a line that finds the
// queue full is dropped and counted. A nil *AccessLog is off.
type AccessLog struct {
	out      io.Writer
	rate     float64
	random   func() float64
	interval time.Duration
	queue    chan *Line
	// wake tells the writer not to wait for its next tick: the queue is half
	// full. It holds at most one signal.
	wake   chan struct{}
	wakeAt int
	pool   sync.Pool

	stop    chan struct{}
	done    chan struct{}
	closing sync.Once
	closed  atomic.Bool

	written, queueFull, writeErrors atomic.Uint64
}

// NewAccessLog starts the writer goroutine; Close stops it. It returns nil,
// an access log that is off, when opts.Writer is nil.
func NewAccessLog(opts AccessLogOptions) *AccessLog {
	if opts.Writer == nil {
		return nil
	}
	if opts.SampleRate <= 0 || opts.SampleRate > 1 {
		opts.SampleRate = 1
	}
	if opts.QueueLength <= 0 {
		opts.QueueLength = DefaultQueueLength
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Random == nil {
		opts.Random = rand.Float64
	}
	l := &AccessLog{
		out:      opts.Writer,
		rate:     opts.SampleRate,
		random:   opts.Random,
		interval: opts.FlushInterval,
		queue:    make(chan *Line, opts.QueueLength),
		wake:     make(chan struct{}, 1),
		wakeAt:   max(opts.QueueLength/2, 1),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	l.pool.New = func() any { return &Line{buf: make([]byte, 0, 512)} }
	go l.run()
	return l
}

// Sample decides whether a request is logged. It is false on a nil AccessLog.
func (l *AccessLog) Sample() bool {
	if l == nil {
		return false
	}
	return l.rate >= 1 || l.random() < l.rate
}

// NewLine returns an empty line stamped with t. Every NewLine must be followed
// by exactly one Send.
func (l *AccessLog) NewLine(t time.Time) *Line {
	line := l.pool.Get().(*Line)
	line.reset(t)
	return line
}

// Send ends the line and queues it for writing. It never blocks: with the
// queue full, or the log closed, the line is dropped and counted.
func (l *AccessLog) Send(line *Line) {
	line.buf = append(line.buf, '}', '\n')
	if l.closed.Load() {
		l.queueFull.Add(1)
		l.release(line)
		return
	}
	select {
	case l.queue <- line:
		if len(l.queue) >= l.wakeAt {
			select {
			case l.wake <- struct{}{}:
			default:
			}
		}
	default:
		l.queueFull.Add(1)
		l.release(line)
	}
}

func (l *AccessLog) release(line *Line) {
	if cap(line.buf) > maxPooledLine {
		return
	}
	l.pool.Put(line)
}

// Close writes the lines already queued and stops the writer. Lines sent
// afterwards are dropped. It does not close the Writer, which belongs to the
// caller. Safe to call more than once.
func (l *AccessLog) Close() {
	if l == nil {
		return
	}
	l.closing.Do(func() {
		l.closed.Store(true)
		close(l.stop)
	})
	<-l.done
}

// AccessLogStats are the access log's counts, for metrics.
type AccessLogStats struct {
	// Written counts lines handed to the Writer without error.
	Written uint64
	// QueueFull counts lines dropped because the writer was behind.
	QueueFull uint64
	// WriteErrors counts lines lost because the Writer failed.
	WriteErrors uint64
}

// Stats returns the counts; zero on a nil AccessLog.
func (l *AccessLog) Stats() AccessLogStats {
	if l == nil {
		return AccessLogStats{}
	}
	return AccessLogStats{Written: l.written.Load(), QueueFull: l.queueFull.Load(), WriteErrors: l.writeErrors.Load()}
}

// run is the writer: on every tick (or sooner, when the queue is half full)
// it takes every queued line and writes them in batches, so that a busy log
// makes few large writes and requests never wake it one by one.
func (l *AccessLog) run() {
	defer close(l.done)
	ticker := time.NewTicker(l.interval)
	defer ticker.Stop()
	b := batch{buf: make([]byte, 0, batchBytes)}
	for {
		select {
		case <-ticker.C:
		case <-l.wake:
		case <-l.stop:
			l.drain(&b)
			return
		}
		l.drain(&b)
	}
}

// drain writes every line queued, and those that arrive meanwhile.
func (l *AccessLog) drain(b *batch) {
	for {
		select {
		case line := <-l.queue:
			l.add(b, line)
		default:
			l.flush(b)
			return
		}
	}
}

// batch is the lines gathered for one Write.
type batch struct {
	buf   []byte
	lines uint64
}

func (l *AccessLog) add(b *batch, line *Line) {
	if len(b.buf) > 0 && len(b.buf)+len(line.buf) > batchBytes {
		l.flush(b)
	}
	b.buf = append(b.buf, line.buf...)
	b.lines++
	l.release(line)
}

func (l *AccessLog) flush(b *batch) {
	if b.lines == 0 {
		return
	}
	if _, err := l.out.Write(b.buf); err != nil {
		l.writeErrors.Add(b.lines)
	} else {
		l.written.Add(b.lines)
	}
	b.buf, b.lines = b.buf[:0], 0
	if cap(b.buf) > 4*batchBytes {
		// One huge line grew the batch; do not keep it.
		b.buf = make([]byte, 0, batchBytes)
	}
}
