package router

// Request is the transport-neutral view of an HTTP request that routing needs.
// Implementations return slices that stay valid until Match returns; Match never
// keeps them.
type Request interface {
	// Method is the request method as sent ("GET").
	Method() []byte
	// Path is the request path without the query string, as the transport
	// normalised it (percent-decoded, dot segments resolved).
	Path() []byte
	// Host is the request's host, possibly with a port; any letter case.
	Host() []byte
	// Header returns the first value of the header with the given canonical name
	// ("X-Request-Id") and whether the header is present.
	Header(canonicalName string) (value []byte, ok bool)
	// QueryArg returns the first value of the query parameter (names are
	// case-sensitive) and whether the parameter is present.
	QueryArg(name string) (value []byte, ok bool)
}
