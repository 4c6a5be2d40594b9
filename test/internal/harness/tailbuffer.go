package harness

import "sync"

// TailBuffer keeps the last limit bytes written to it; children write to it from
// the exec package's copying goroutines while the harness may read it.
type TailBuffer struct {
	mu    sync.Mutex
	limit int
	data  []byte
}

// NewTailBuffer keeps at most limit bytes.
func NewTailBuffer(limit int) *TailBuffer { return &TailBuffer{limit: limit} }

func (b *TailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.data = append(b.data, p...)
	if excess := len(b.data) - b.limit; excess > 0 {
		b.data = append(b.data[:0], b.data[excess:]...)
	}
	return len(p), nil
}

func (b *TailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.data)
}
