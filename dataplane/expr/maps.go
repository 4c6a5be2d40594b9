package expr

import (
	"net/textproto"
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// view is what a lazy map knows how to read from the request.
type view interface {
	ref.Val
	// find returns the value of one key and whether the map has it.
	find(key string) (ref.Val, bool)
	// contains reports whether the key is present (the `in` operator).
	contains(key string) bool
	// materialize builds the whole map, for the rare expression that iterates,
	// sizes or compares it.
	materialize() map[string]any
}

// lazyMap implements traits.Mapper over a view: single-key reads (the common
// case) go straight to the request; anything that needs the whole map builds it
// once per request.
type lazyMap struct {
	self view
	a    *Activation
	all  ref.Val
}

func (m *lazyMap) init(self view, a *Activation) { m.self, m.a = self, a }
func (m *lazyMap) reset()                        { m.all = nil }

func (m *lazyMap) whole() ref.Val {
	if m.all == nil {
		m.all = types.DefaultTypeAdapter.NativeToValue(m.self.materialize())
	}
	return m.all
}

func (m *lazyMap) Find(key ref.Val) (ref.Val, bool) {
	k, ok := key.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(key), false
	}
	return m.self.find(string(k))
}

func (m *lazyMap) Get(key ref.Val) ref.Val {
	v, found := m.Find(key)
	switch {
	case found:
		return v
	case v != nil && types.IsError(v):
		return v
	}
	return types.NewErr("no such key: %v", key)
}

func (m *lazyMap) Contains(key ref.Val) ref.Val {
	k, ok := key.(types.String)
	if !ok {
		return types.MaybeNoSuchOverloadErr(key)
	}
	return types.Bool(m.self.contains(string(k)))
}

func (m *lazyMap) Iterator() traits.Iterator { return m.whole().(traits.Mapper).Iterator() }
func (m *lazyMap) Size() ref.Val             { return m.whole().(traits.Mapper).Size() }
func (m *lazyMap) Equal(other ref.Val) ref.Val {
	return m.whole().Equal(other)
}
func (m *lazyMap) Type() ref.Type { return types.MapType }
func (m *lazyMap) Value() any     { return m.whole().Value() }
func (m *lazyMap) ConvertToNative(t reflect.Type) (any, error) {
	return m.whole().ConvertToNative(t)
}

func (m *lazyMap) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case types.MapType:
		return m.self
	case types.TypeType:
		return types.MapType
	}
	return types.NewErr("type conversion error from map to '%s'", t)
}

// requestMap is the `request` variable.
type requestMap struct{ lazyMap }

// The keys of `request`.
const (
	keyMethod  = "method"
	keyPath    = "path"
	keyHost    = "host"
	keyScheme  = "scheme"
	keyHeaders = "headers"
	keyQuery   = "query"
	keyURLPath = "url_path"
)

func (m *requestMap) find(key string) (ref.Val, bool) {
	req := m.a.req
	switch key {
	case keyMethod:
		return types.String(req.Method()), true
	case keyPath:
		// Envoy's and Kuadrant's meaning: the path with the query string.
		return types.String(appendURLPath(nil, req)), true
	case keyHost:
		return types.String(appendLower(nil, hostWithoutPort(req.Host()))), true
	case keyScheme:
		return types.String(req.Scheme()), true
	case keyHeaders:
		return &m.a.headers, true
	case keyQuery:
		return types.String(req.RawQuery()), true
	case keyURLPath:
		return types.String(req.Path()), true
	}
	return nil, false
}

func (m *requestMap) contains(key string) bool {
	_, found := m.find(key)
	return found
}

func (m *requestMap) materialize() map[string]any {
	out := make(map[string]any, 7)
	for _, key := range []string{keyMethod, keyPath, keyHost, keyScheme, keyHeaders, keyQuery, keyURLPath} {
		v, _ := m.find(key)
		out[key] = v
	}
	return out
}

// appendURLPath appends the path with the query string, if any.
func appendURLPath(dst []byte, req Request) []byte {
	dst = append(dst, req.Path()...)
	if q := req.RawQuery(); len(q) > 0 {
		dst = append(append(dst, '?'), q...)
	}
	return dst
}

// headerMap is `request.headers`: keys are lower-case header names, values the
// first value of the header, and a header that is absent reads as "" (so that a
// counter on an optional header puts every request without it in one counter
// instead of failing). `'name' in request.headers` tells presence.
type headerMap struct{ lazyMap }

func (m *headerMap) find(key string) (ref.Val, bool) {
	v, _ := m.peek(key)
	return types.String(v), true
}

func (m *headerMap) contains(key string) bool {
	_, ok := m.peek(key)
	return ok
}

// peek reads one header by its lower-case name. A name with an upper-case letter
// is never a key of the map, as in Envoy's attributes.
func (m *headerMap) peek(key string) ([]byte, bool) {
	if hasUpper(key) {
		return nil, false
	}
	return m.a.req.Header(textproto.CanonicalMIMEHeaderKey(key))
}

func (m *headerMap) materialize() map[string]any {
	out := map[string]any{}
	m.a.req.VisitHeaders(func(name, value []byte) {
		key := string(appendLower(nil, name))
		if _, seen := out[key]; !seen {
			out[key] = string(value)
		}
	})
	return out
}

// sourceMap is the `source` variable: the client's address and port.
type sourceMap struct{ lazyMap }

const (
	keyAddress = "address"
	keyPort    = "port"
)

func (m *sourceMap) find(key string) (ref.Val, bool) {
	switch key {
	case keyAddress:
		return types.String(appendClientAddress(nil, m.a.req.ClientAddr())), true
	case keyPort:
		return types.Int(m.a.req.ClientAddr().Port()), true
	}
	return nil, false
}

func (m *sourceMap) contains(key string) bool {
	return key == keyAddress || key == keyPort
}

func (m *sourceMap) materialize() map[string]any {
	addr, _ := m.find(keyAddress)
	port, _ := m.find(keyPort)
	return map[string]any{keyAddress: addr, keyPort: port}
}
