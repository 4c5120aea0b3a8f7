package config

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// plainItem must build exactly the nodes yaml.v3 builds for the items it
// reads (plain.go): kind, style, tag, value, line, column and content, all
// the decoder reads. Each case is a list item as it stands in the file.

var plainRead = []string{
	"- name: a\n",
	"- name: bench-00001\n  url: http://127.1.0.2:40000/mcp\n  auth:\n    type: oauth2\n    token_url: http://127.0.0.1:39999/token\n" +
		"    client_id: mcpwatch-bench\n    client_secret: ${MCPWATCH_BENCH_SECRET}\n    resource: https://fleet.bench.invalid/mcp\n",
	"-   name: a\n    url: https://x\n",
	"- name: a # a comment\n  # a line of comment\n\n  url: https://x/#frag   \n",
	"- name: a\r\n  url: https://x\r\n",
	"- name: a\n  url: https://x", // the file's last line
	"- name: a\n  tags:\n    - a\n    - b c\n    -   d\n  interval: 30s\n",
	"- name: a\n  tags:\n      - a\n  headers:\n    X-Api-Key: ${KEY}\n    Accept: text/event-stream\n",
	"- name: a\n  args:\n  - x\n", // the list at its key's column: read by yaml.v3
	"- name: a\n  x:\n    - k: 1\n      l: 2\n    - m: 3\n    - n\n",
	"- disabled: true\n  inventory: False\n  x: TRUE\n  y: ~\n  z: null\n  w: NULL\n  v: yes\n  u: off\n  t: tru\n",
	"- concurrency: 32\n  a: 0\n  b: 123456789012345678\n  c: 10s\n  d: 1m30s\n  f: 2h\n  g: 9z\n",
	"- url: http://[::1]:8080/mcp?a=1&b=2\n  name: a'b\"c\n  k: a  b\n  l: a,b[0]{x}\n  m: a:b\n  n: a#b\n  o: a=b\n  p: /x\n",
	"- url: ${U}\n  $x: 1\n  a-b: c\n  a b: c\n  1: x\n  true: y\n  y: z\n",
	"- a:\n    b:\n      c:\n        d: e\n    f: g\n  h: i\n",
	"- a: b # c: d\n  e: f #g\n",
	"- name: a\n  auth: *auth\n  tags: *tags\n  x:\n    - *v\n    - k: *d-1_x # c\n",
	"- name: a\n  auth:\n    <<: *auth\n    token: t\n  <<: *v\n",
	`- name: "a: b # c"
  url: 'x'   # c
  token: ""
  k: " 'a' *b &c "
  l: '"'
  m:
    - "x"
    - 'true'
    - "12"
`,
}

var plainNotRead = []string{
	"- \"name\": a\n",
	`- name: "a\n"` + "\n", `- name: "a\""` + "\n", // escapes
	"- name: 'it''s'\n", "- name: ''''\n",
	"- name: \"a\"b\n", "- name: \"a\"#c\n", "- name: \"a\" : b\n", "- name: 'a' 'b'\n",
	"- name: \"a\n    b\"\n", // quotes over two lines
	"- name: \"caf\xc3\xa9\"\n",
	"- \"a: b\"\n",
	"- name: |\n    a\n",
	"- name: >\n    a\n",
	"- name: &a b\n",
	"- name: *nope\n", // an alias of no anchor above the list
	"- name: *auth b\n", "- name: *auth,b\n", "- name: *\n", "- *auth\n", "- *auth: a\n",
	"- name: !!str a\n",
	"- name: [a]\n",
	"- name: {a: b}\n",
	"- name: a\n    b\n",           // a value over two lines
	"- name:\n  url: x\n",          // an empty value
	"- name:\n",                    // an empty value at the end
	"- name:\n    a\n",             // a value on the line below
	"- a\n",                        // an item that is not a mapping
	"-\n  name: a\n",               // an item on the line below its dash
	"- - a\n",                      // a list in a list on one line
	"- name: a: b\n",               // a mapping in a value
	"- name: a:\n",                 // a value that ends in a colon
	"- name: a\n   url: b\n",       // uneven indentation
	"- name: a\n url: b\n",         // less indented than the first key
	"- name: a\n  - b\n",           // a list entry among keys
	"- name: caf\xc3\xa9\n",        // non-ASCII
	"- ? a\n  : b\n",               // an explicit key
	"- name: -1\n", "- name: +1\n", // signs
	"- name: .5\n", "- name: .inf\n",
	"- name: 1.5\n", "- name: 1e3\n", "- name: 0x1F\n", "- name: 0o17\n", "- name: 0b1\n", "- name: 017\n",
	"- name: 1_000\n", "- name: 2001-12-14\n", "- name: 1234567890123456789\n",
	"- <<: {a: b}\n", "- name: <a>\n", "- name: <<<\n", "- name: @a\n", "- name: `a`\n", "- name: %a\n",
	"- name: a\n  tags:\n    - a\n      b\n", // a list entry over two lines
	"- name: a\n  tags:\n    -\n",            // an empty list entry
	"- " + strings.Repeat("k", maxPlainKey+1) + ": v\n",
	"- name:a\n", // one plain scalar, not a key
}

// plainPrefix stands above the list in every case: anchors for aliases.
const plainPrefix = "x-auth: &auth {type: bearer, token: t}\nx-tags: &tags [a, b]\nx-v: &v v\nx-d: &d-1_x\n  k: v\nx-v2: &v w\nservers:\n"

// plainAnchors are plainPrefix's anchors, as Parse finds them above the list.
func plainAnchors(t testing.TB) map[string]anchor {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(plainPrefix), &doc); err != nil {
		t.Fatal(err)
	}
	m := map[string]anchor{}
	anchorsBefore(doc.Content[0], strings.Count(plainPrefix, "\n"), m)
	return m
}

// yamlItem is the node yaml.v3 parses the item text to below plainPrefix,
// or nil if it does not parse to one item.
func yamlItem(text string) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(plainPrefix+text), &doc); err != nil || len(doc.Content) != 1 {
		return nil
	}
	top := doc.Content[0]
	if top.Kind != yaml.MappingNode || len(top.Content) < 2 {
		return nil
	}
	root := top.Content[len(top.Content)-1]
	if root.Kind != yaml.SequenceNode || len(root.Content) != 1 {
		return nil
	}
	return root.Content[0]
}

// nodeDiff says where two trees differ in what the decoder reads.
func nodeDiff(path string, a, b *yaml.Node) string {
	if a == nil || b == nil {
		if a != b {
			return fmt.Sprintf("%s: %v against %v", path, a, b)
		}
		return ""
	}
	if (a.Alias == nil) != (b.Alias == nil) || a.Alias != nil && (a.Alias.Line != b.Alias.Line || a.Alias.Column != b.Alias.Column) {
		return fmt.Sprintf("%s: alias of %v, yaml.v3's of %v", path, a.Alias, b.Alias)
	}
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Line != b.Line ||
		a.Column != b.Column || a.Anchor != b.Anchor || len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: kind %v style %v tag %q value %q at %d:%d, %d children; yaml.v3: kind %v style %v tag %q value %q at %d:%d, %d children",
			path, a.Kind, a.Style, a.Tag, a.Value, a.Line, a.Column, len(a.Content), b.Kind, b.Style, b.Tag, b.Value, b.Line, b.Column, len(b.Content))
	}
	for i := range a.Content {
		if d := nodeDiff(fmt.Sprintf("%s/%d", path, i), a.Content[i], b.Content[i]); d != "" {
			return d
		}
	}
	return ""
}

// plainAsYAML is "" when plainItem does not read text or reads it as
// yaml.v3 does, else how they differ.
func plainAsYAML(p *plainParser, text string) (read bool, diff string) {
	n, ok := p.plainItem([]byte(text), strings.Count(plainPrefix, "\n")+1)
	if !ok {
		return false, ""
	}
	want := yamlItem(text)
	if want == nil {
		return true, "plainItem read what yaml.v3 refuses"
	}
	return true, nodeDiff("item", n, want)
}

func TestPlainItemAsYAML(t *testing.T) {
	p := plainParser{anchors: plainAnchors(t)}
	for _, text := range plainRead {
		read, diff := plainAsYAML(&p, text)
		if diff != "" {
			t.Errorf("%q: %s", text, diff)
		}
		if !read && !strings.Contains(text, "args:\n  - x") {
			t.Errorf("%q: not read", text)
		}
	}
	for _, text := range plainNotRead {
		if _, ok := p.plainItem([]byte(text), 1); ok {
			t.Errorf("%q: read, want it left to yaml.v3", text)
		}
	}
}

// TestPlainItemLines pins that nodes carry the file's lines: an item is
// read where it stands, not shifted.
func TestPlainItemLines(t *testing.T) {
	var p plainParser
	n, ok := p.plainItem([]byte("  - name: a\n\n    url: b\n"), 41)
	if !ok {
		t.Fatal("not read")
	}
	if n.Line != 41 || n.Column != 5 || n.Content[3].Line != 43 || n.Content[3].Column != 10 {
		t.Fatalf("item at %d:%d, url's value at %d:%d; want 41:5 and 43:10", n.Line, n.Column, n.Content[3].Line, n.Content[3].Column)
	}
}

// TestPlainNodesReused pins that reset hands the same nodes out again
// (the memory figures in docs/performance.md rest on it).
func TestPlainNodesReused(t *testing.T) {
	var p plainParser
	a, _ := p.plainItem([]byte("- name: a\n"), 1)
	p.reset()
	b, _ := p.plainItem([]byte("- name: b\n"), 1)
	if a != b || b.Content[1].Value != "b" {
		t.Fatalf("after reset: node %p then %p, value %q", a, b, b.Content[1].Value)
	}
}

func TestMayHoldAnchor(t *testing.T) {
	for in, want := range map[string]bool{
		"":                              false,
		"url: https://x/?a=1&b=2&c=3\n": false,
		"&a x":                          true,
		"a: &a x":                       true,
		"a: [&a x]":                     true,
		"a: {b: c,&a d}":                true,
		"a: \"x\"&b\n":                  true, // not an anchor, but not after a letter or digit
	} {
		if got := mayHoldAnchor([]byte(in)); got != want {
			t.Errorf("mayHoldAnchor(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestParsePlainAllocs pins that a fleet written plainly is read without
// yaml.v3 building its items: 87 allocations a server with it, 12 now.
// Allocations are counted, not time.
// With the auth block an alias of one above the list, or the secret
// reference in quotes, likewise.
func TestParsePlainAllocs(t *testing.T) {
	t.Setenv("MCPW_BENCH_SECRET", "s")
	quoted := bytes.ReplaceAll(benchConfig(640), []byte("${MCPW_BENCH_SECRET}"), []byte(`"${MCPW_BENCH_SECRET}"`)) // as config import writes it
	for name, data := range map[string][]byte{"written out": benchConfig(640), "anchored": benchConfigAnchored(640), "quoted": quoted} {
		allocs := testing.AllocsPerRun(2, func() {
			if _, _, err, used := parse("bench.yaml", data, true); err != nil || !used {
				t.Fatalf("%s: parse: %v, by item %v", name, err, used)
			}
		})
		if perServer := allocs / 640; perServer > 20 {
			t.Errorf("%s: %.1f allocations a server, want at most 20", name, perServer)
		}
	}
}

// FuzzPlainItem holds plainItem to yaml.v3 on whatever it reads.
func FuzzPlainItem(f *testing.F) {
	for _, s := range append(append([]string{}, plainRead...), plainNotRead...) {
		f.Add([]byte(s))
	}
	p := plainParser{anchors: plainAnchors(f)}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.ContainsAny(data, "\t\ufeff\u2028\u2029") || (&decoder{}).checkText(data) != nil {
			return // Parse never reads such a file by item
		}
		p.reset()
		if _, diff := plainAsYAML(&p, string(data)); diff != "" {
			t.Fatalf("%q: %s", data, diff)
		}
	})
}
