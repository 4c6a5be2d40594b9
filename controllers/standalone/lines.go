package standalone

import (
	"bytes"
	"strconv"

	yamlv3 "go.yaml.in/yaml/v3"
)

// lineIndex maps field paths of one object to lines of its file, so that an error
// can point at the offending line rather than at the start of the document. It is
// only needed while the object's errors are made: a decoded document drops it.
type lineIndex struct {
	// root is the object's node: a mapping, or for JSON nil until first used.
	root *yamlv3.Node
	// offset is added to the node lines, which count from the start of the
	// parsed text, to make them lines of the file.
	offset int
	// jsonText is a JSON value still to be parsed into root. JSON needs no node
	// tree for anything but the lines of errors, so it is built only when an
	// error asks for one.
	jsonText []byte
}

// jsonLineIndex indexes a JSON value for line lookups, lazily. startLine is the
// file line the value starts on.
func jsonLineIndex(raw []byte, startLine int) *lineIndex {
	return &lineIndex{offset: startLine - 1, jsonText: raw}
}

// node returns the root node, parsing pending JSON on first use. JSON is YAML
// except for tabs as indentation; tabs cannot occur raw inside JSON strings, so
// turning them into spaces keeps every line and column. Line data is best effort:
// nil if the text does not parse.
func (ix *lineIndex) node() *yamlv3.Node {
	if ix == nil {
		return nil
	}
	if ix.jsonText != nil {
		var doc yamlv3.Node
		if yamlv3.Unmarshal(bytes.ReplaceAll(ix.jsonText, []byte("\t"), []byte(" ")), &doc) == nil && len(doc.Content) > 0 {
			ix.root = resolveAlias(doc.Content[0])
		}
		ix.jsonText = nil
	}
	return ix.root
}

// lineOf returns the file line of the deepest node on path (field.Path syntax:
// spec.rules[0].matches[1], metadata.labels[app.kubernetes.io/name]), or 0 when the
// index is nil or not even the first segment exists.
func (ix *lineIndex) lineOf(path string) int {
	root := ix.node()
	if root == nil {
		return 0
	}
	node, line := root, 0
	for _, segment := range splitFieldPath(path) {
		next, keyLine := child(node, segment)
		if next == nil {
			break
		}
		node, line = next, keyLine
	}
	if line == 0 {
		return 0
	}
	return line + ix.offset
}

// child returns the node under segment and the line that best names it: the key's
// line for a mapping entry, the item's line for a sequence element.
func child(node *yamlv3.Node, segment string) (*yamlv3.Node, int) {
	node = resolveAlias(node)
	switch node.Kind {
	case yamlv3.MappingNode:
		for i := 0; i+1 < len(node.Content); i += 2 {
			if node.Content[i].Value == segment {
				return node.Content[i+1], node.Content[i].Line
			}
		}
	case yamlv3.SequenceNode:
		index, err := strconv.Atoi(segment)
		if err == nil && index >= 0 && index < len(node.Content) {
			return node.Content[index], node.Content[index].Line
		}
	}
	return nil, 0
}

func resolveAlias(node *yamlv3.Node) *yamlv3.Node {
	for node.Kind == yamlv3.AliasNode && node.Alias != nil {
		node = node.Alias
	}
	return node
}

// splitFieldPath splits "a.b[0].c[key.with.dots]" into a, b, 0, c, key.with.dots.
func splitFieldPath(path string) []string {
	var segments []string
	start := 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '.':
			if i > start {
				segments = append(segments, path[start:i])
			}
			start = i + 1
		case '[':
			if i > start {
				segments = append(segments, path[start:i])
			}
			end := i + 1
			for end < len(path) && path[end] != ']' {
				end++
			}
			segments = append(segments, path[i+1:end])
			i = end
			start = end + 1
		}
	}
	if start < len(path) {
		segments = append(segments, path[start:])
	}
	return segments
}
