package configfile

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v4"

	"github.com/allot/allot/internal/gen"
)

// mapPositions is the reference: every path of the tree mapped to its
// value's position (the first one when a path repeats), and a path found by
// stripping segments until one is in the map.
type mapPositions map[string]mark

func (m mapPositions) walk(n *yaml.Node, path string) {
	if _, ok := m[path]; !ok {
		m[path] = mark{n.Line, n.Column}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			m.walk(c, path)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			m.walk(c, path+"["+strconv.Itoa(i)+"]")
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			cp := k.Value
			if path != "" {
				cp = path + "." + k.Value
			}
			m.walk(v, cp)
		}
	}
}

func (m mapPositions) find(path string) mark {
	for path != "" {
		if p, ok := m[path]; ok {
			return p
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			path = ""
		} else {
			path = path[:i]
		}
	}
	return m[""]
}

// TestPositionsFind: positions.find, which walks the tree along the path,
// locates every path of the test files, the example and a generated config,
// and paths below them that the files lack (defaults, out-of-range
// indices), exactly where the map of every path does.
func TestPositionsFind(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, "../examples/config/language-school.yaml")
	var docs [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, b)
	}
	small := gen.Large
	small.Rules, small.Agents, small.Queues = 100, 200, 20
	y, err := Encode(gen.Config(small))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, y, []byte("a: 1\nb: {c.d: [x, {e: 2}], c: 3}\n"), []byte("- 1\n- [2, 3]\n"), []byte("x: &a {k: 1}\ny: *a\n"))
	checked := 0
	for i, b := range docs {
		var doc yaml.Node
		if err := yaml.Load(b, &doc); err != nil {
			continue // a syntax error: nothing to locate
		}
		ref := mapPositions{}
		ref.walk(&doc, "")
		pos := newPositions(&doc)
		try := func(path string) {
			checked++
			if got, want := pos.find(path), ref.find(path); got != want {
				t.Errorf("doc %d: find(%q) = %v, want %v", i, path, got, want)
			}
		}
		for path := range ref {
			try(path)
			for _, suffix := range []string{".missing", "[0]", "[99999]", ".x.y", "[x]", "[-1]", "."} {
				try(path + suffix)
			}
		}
		for _, path := range []string{"", "nope", "[0]", "regions[0].rules[3].queue", "regions[0].agents[7].weight", "tests[0].expect.score"} {
			try(path)
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d paths checked", checked)
	}
	var nilPos *positions
	if got := nilPos.find("regions[0]"); got != (mark{}) {
		t.Errorf("nil positions: find = %v, want none", got)
	}
}
