// Package jsontext renders JSON strings into byte slices without allocating,
// for the documents the data plane writes per request: problem+json bodies
// whose detail depends on the request, and access-log lines. Both must stay
// valid JSON whatever a client sent (control characters, quotes, invalid
// UTF-8), and neither may cost an allocation on the request path, which rules
// out encoding/json.
package jsontext
