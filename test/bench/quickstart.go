package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The port numbers examples/quickstart uses. The bench moves each one to a free
// loopback port so that it can run next to a `make run`; if the example changes its
// ports, copyQuickstart fails and names the port it no longer finds.
const (
	quickstartListenerPort = 8080
	quickstartHello1Port   = 9001
	quickstartHello2Port   = 9002
	quickstartAPIPort      = 9003
)

// portLine matches a YAML line whose only content is a `port:` or `targetPort:` key
// with a number (optionally the first key of a list item, optionally followed by a
// comment): Gateway listeners, EndpointSlice ports and Service target ports.
var portLine = regexp.MustCompile(`^(\s*(?:-\s+)?(?:port|targetPort):\s*)(\d+)(\s*(?:#.*)?)$`)

// rewritePorts returns yaml with the number of every port line found in moves
// replaced by its new value; nothing else changes, not even whitespace or line
// endings. found lists the old ports it met, so the caller can tell a stale mapping.
func rewritePorts(yaml []byte, moves map[int]int) (out []byte, found []int) {
	lines := bytes.SplitAfter(yaml, []byte("\n"))
	var buf bytes.Buffer
	buf.Grow(len(yaml) + 16)
	for _, line := range lines {
		body, ending := splitLineEnding(line)
		match := portLine.FindSubmatch(body)
		if match == nil {
			buf.Write(line)
			continue
		}
		old, err := strconv.Atoi(string(match[2]))
		to, moved := moves[old]
		if err != nil || !moved {
			buf.Write(line)
			continue
		}
		if !slices.Contains(found, old) {
			found = append(found, old)
		}
		buf.Write(match[1])
		buf.WriteString(strconv.Itoa(to))
		buf.Write(match[3])
		buf.Write(ending)
	}
	return buf.Bytes(), found
}

// splitLineEnding separates "\n" or "\r\n" from the end of line.
func splitLineEnding(line []byte) (body, ending []byte) {
	body = bytes.TrimSuffix(line, []byte("\n"))
	body = bytes.TrimSuffix(body, []byte("\r"))
	return body, line[len(body):]
}

// copyQuickstart copies every YAML file of src into dst with its ports moved, and
// fails when one of the ports in moves appears in no file: the bench would then
// measure something else than it says.
func copyQuickstart(src, dst string, moves map[int]int) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return fmt.Errorf("reading the quick-start example: %w", err)
	}
	seen := map[int]bool{}
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return fmt.Errorf("reading the quick-start example: %w", err)
		}
		rewritten, found := rewritePorts(data, moves)
		for _, port := range found {
			seen[port] = true
		}
		if err := os.WriteFile(filepath.Join(dst, name), rewritten, 0o600); err != nil {
			return fmt.Errorf("writing the bench configuration: %w", err)
		}
	}
	var missing []int
	for port := range moves {
		if !seen[port] {
			missing = append(missing, port)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("%s no longer uses port(s) %v; update the quick-start ports in test/bench/quickstart.go", src, missing)
	}
	return nil
}
