// Command example-backend is the small HTTP server that the quick start routes to.
// It answers every request with a JSON description of what it received, so that a
// curl through the gateway shows which backend answered and which headers the
// gateway added.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"sort"
	"time"
)

type echo struct {
	Backend string            `json:"backend"`
	Method  string            `json:"method"`
	Host    string            `json:"host"`
	Path    string            `json:"path"`
	Query   string            `json:"query,omitempty"`
	Headers map[string]string `json:"headers"`
}

func main() {
	listen := flag.String("listen", "127.0.0.1:9001", "address to listen on")
	name := flag.String("name", "", "name reported in every answer (default: the listen address)")
	flag.Parse()
	if *name == "" {
		*name = *listen
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers := map[string]string{}
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			headers[k] = r.Header.Get(k)
		}
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(echo{Backend: *name, Method: r.Method, Host: r.Host, Path: r.URL.Path, Query: r.URL.RawQuery, Headers: headers}); err != nil {
			log.Printf("writing answer: %v", err)
		}
	})
	server := &http.Server{Addr: *listen, Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("example backend %q listening on %s", *name, *listen)
	if err := server.ListenAndServe(); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}
