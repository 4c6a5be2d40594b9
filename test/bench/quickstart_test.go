package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRewritePorts(t *testing.T) {
	t.Parallel()
	moves := map[int]int{8080: 41000, 9001: 41001}
	tests := []struct {
		name      string
		in        string
		want      string
		wantFound []int
	}{
		{
			name:      "gateway listener port",
			in:        "  listeners:\n  - name: http\n    protocol: HTTP\n    port: 8080\n",
			want:      "  listeners:\n  - name: http\n    protocol: HTTP\n    port: 41000\n",
			wantFound: []int{8080},
		},
		{
			name:      "endpoint slice port and service target port",
			in:        "ports:\n- name: http\n  port: 9001\n  protocol: TCP\n---\n    port: 80\n    targetPort: 9001\n",
			want:      "ports:\n- name: http\n  port: 41001\n  protocol: TCP\n---\n    port: 80\n    targetPort: 41001\n",
			wantFound: []int{9001},
		},
		{
			name:      "a port as the first key of a list item",
			in:        "ports:\n- port: 9001\n  name: http\n",
			want:      "ports:\n- port: 41001\n  name: http\n",
			wantFound: []int{9001},
		},
		{
			name:      "a trailing comment and CRLF line endings stay",
			in:        "    port: 8080 # the listener\r\n    port: 80\r\n",
			want:      "    port: 41000 # the listener\r\n    port: 80\r\n",
			wantFound: []int{8080},
		},
		{
			name: "ports not in the moves, other keys and longer numbers stay",
			in:   "    port: 80\n    hostPort: 9001\n    value: 8080\n    port: 90010\n    port: \"9001\"\n# port: 9001\n",
			want: "    port: 80\n    hostPort: 9001\n    value: 8080\n    port: 90010\n    port: \"9001\"\n# port: 9001\n",
		},
		{
			name:      "a last line without a newline",
			in:        "    port: 8080",
			want:      "    port: 41000",
			wantFound: []int{8080},
		},
		{
			name: "empty input",
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			t.Parallel()
			got, found := rewritePorts([]byte(test.in), moves)
			if diff := cmp.Diff(test.want, string(got)); diff != "" {
				t.Errorf("rewritePorts output (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(test.wantFound, found); diff != "" {
				t.Errorf("rewritePorts found (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCopyQuickstartMovesOnlyPortNumbers runs on the real example, so a change to
// examples/quickstart that the bench no longer understands fails here first.
func TestCopyQuickstartMovesOnlyPortNumbers(t *testing.T) {
	t.Parallel()
	src := filepath.Join("..", "..", "examples", "quickstart")
	dst := t.TempDir()
	moves := map[int]int{
		quickstartListenerPort: 41000,
		quickstartHello1Port:   41001,
		quickstartHello2Port:   41002,
		quickstartAPIPort:      41003,
	}
	if err := copyQuickstart(src, dst, moves); err != nil {
		t.Fatalf("copyQuickstart: %v", err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, entry := range entries {
		original := readLines(t, filepath.Join(src, entry.Name()))
		copied := readLines(t, filepath.Join(dst, entry.Name()))
		if len(original) != len(copied) {
			t.Fatalf("%s: %d lines became %d", entry.Name(), len(original), len(copied))
		}
		for i := range original {
			if original[i] == copied[i] {
				continue
			}
			// A changed line must be the same line with a moved port number.
			want := original[i]
			for from, to := range moves {
				want = strings.Replace(want, ": "+strconv.Itoa(from), ": "+strconv.Itoa(to), 1)
			}
			if copied[i] != want {
				t.Errorf("%s line %d: %q became %q, want %q", entry.Name(), i+1, original[i], copied[i], want)
			}
			seen[strings.TrimSpace(copied[i])] = true
		}
	}
	for _, line := range []string{"port: 41000", "port: 41001", "port: 41002", "port: 41003", "targetPort: 41001", "targetPort: 41003"} {
		if !seen[line] {
			t.Errorf("no line became %q; changed lines: %v", line, seen)
		}
	}
}

func TestCopyQuickstartFailsOnAPortItDoesNotFind(t *testing.T) {
	t.Parallel()
	src, dst := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "gateway.yaml"), []byte("    port: 8080\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := copyQuickstart(src, dst, map[int]int{8080: 41000, 9002: 41002, 9001: 41001})
	if err == nil {
		t.Fatal("copyQuickstart succeeded although ports 9001 and 9002 appear nowhere")
	}
	if !strings.Contains(err.Error(), "[9001 9002]") {
		t.Errorf("error %q does not name the missing ports [9001 9002]", err)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(data), "\n")
}
