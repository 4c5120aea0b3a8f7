package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// Reading the servers: list an item at a time (split.go, items.go) must
// give what parsing the file whole gives: the same File, warnings and
// errors (text, file:line:col and order). TestMain checks that for every
// Parse this package's tests make, the cases below add the files where
// the split is hard, and FuzzParse checks it on whatever the fuzzer finds.

func TestMain(m *testing.M) {
	flag.Parse()
	var (
		mu            sync.Mutex
		diffs         []string
		calls, byItem int
	)
	if flag.Lookup("test.bench").Value.String() == "" { // benchmarks measure Parse alone
		parseCheck = func(name string, data []byte, f *File, warns []Warning, err error) {
			diff, used := diffWhole(name, data, f, warns, err)
			mu.Lock()
			defer mu.Unlock()
			calls++
			if used {
				byItem++
			}
			if diff != "" {
				diffs = append(diffs, diff)
			}
		}
	}
	code := m.Run()
	if len(diffs) > 0 {
		fmt.Fprintf(os.Stderr, "Parse by item and whole differ on %d inputs:\n%s\n", len(diffs), strings.Join(diffs, "\n"))
		code = 1
	}
	if testing.Verbose() && calls > 0 {
		fmt.Printf("Parse calls checked against the whole parse: %d, %d of them by item\n", calls, byItem)
	}
	os.Exit(code)
}

// diffWhole parses data by item and whole, compares both with the result
// given, and says how they differ ("" if not); used tells whether the
// by-item parse was taken.
func diffWhole(name string, data []byte, f *File, warns []Warning, err error) (diff string, used bool) {
	bf, bw, berr, used := parse(name, data, true)
	wf, ww, werr, _ := parse(name, data, false)
	same := func(f1, f2 *File, w1, w2 []Warning, e1, e2 error) bool {
		var es1, es2 Errors
		errors.As(e1, &es1)
		errors.As(e2, &es2)
		return reflect.DeepEqual(f1, f2) && reflect.DeepEqual(w1, w2) && (e1 == nil) == (e2 == nil) &&
			reflect.DeepEqual(es1, es2) && fmt.Sprint(e1) == fmt.Sprint(e2)
	}
	if same(bf, wf, bw, ww, berr, werr) && same(f, wf, warns, ww, err, werr) {
		return "", used
	}
	show := func(f *File, w []Warning, err error) string {
		return fmt.Sprintf("file %+v\n  warnings %v\n  errors %v", f, w, err)
	}
	in := string(data)
	if len(in) > 300 {
		in = in[:300] + "…"
	}
	return fmt.Sprintf("%q:\n by item (%v): %s\n whole: %s", in, used, show(bf, bw, berr), show(wf, ww, werr)), used
}

// byItemCase is a file and whether it is read by item.
type byItemCase struct {
	name   string
	data   string
	byItem bool
}

func byItemCases(t *testing.T) []byItemCase {
	example, err := os.ReadFile("../examples/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const ab = "servers:\n  - name: a\n    url: https://x\n  - name: b\n    url: https://y\n"
	var manyErrors strings.Builder // past maxErrors, decoding stops; every item is still parsed
	manyErrors.WriteString("servers:\n")
	for i := range maxErrors + 50 {
		fmt.Fprintf(&manyErrors, "  - name: s%d\n    url: https://x\n    bad: 1\n", i)
	}
	var tokens strings.Builder // over maxTokens, spread over items
	tokens.WriteString("servers:\n")
	for i := range 100 {
		fmt.Fprintf(&tokens, "  - name: s%d\n", i)
		for k := range 850 {
			fmt.Fprintf(&tokens, "    k%d: 1\n", k)
		}
	}
	nested := "servers:\n  - name: a\n    x:\n" // nested past maxNesting inside an item
	for i := range maxNesting {
		nested += strings.Repeat(" ", 6+2*i) + fmt.Sprintf("k%d:\n", i)
	}
	var merge strings.Builder // the corpus' merge bomb: items alias the anchors above the list
	merge.WriteString("x-0: &a0 {k: 1}\n")
	for lvl := 1; lvl <= 7; lvl++ {
		fmt.Fprintf(&merge, "x-%d: &a%d {<<: [%s]}\n", lvl, lvl, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", lvl-1), 20), ", "))
	}
	merge.WriteString("servers:\n  - name: a\n    url: https://x\n    auth: {<<: *a7}\n")
	var keys strings.Builder // over maxMappingKeys above the list
	keys.WriteString("x-a:\n")
	for i := range maxMappingKeys + 1 {
		fmt.Fprintf(&keys, " k%d: 1\n", i)
	}
	keys.WriteString(ab)

	items := func(n int) string { // n servers, each on two lines
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "  - name: s%d\n    url: https://x\n", i)
		}
		return b.String()
	}
	return []byItemCase{
		{"bench fleet", string(benchConfig(50)), true},
		{"examples/config.yaml", string(example), true},
		{"the reference example", fullExample, true},
		{"items at column 1", "servers:\n- name: a\n  url: https://x\n- name: b\n  url: https://y\n  interval: 1ns\n", true},
		{"comments, blank lines and keys after the list", "concurrency: 3\nservers:   # the fleet\n\n  # first\n  - name: a\n    url: https://x\n\n# between\n  - name: b\n    url: https://y\n    bad: 1\nper_host: 0\n", true},
		{"an anchor above the list", "x-auth: &auth {type: bearer, token: \"${T}\"}\nservers:\n  - name: a\n    url: https://x\n    auth: *auth\n  - name: b\n    url: https://y\n    auth:\n      <<: *auth\n      token: \"${U}\"\n      bad: 1\n", true},
		{"an anchor in an earlier item", "servers:\n  - name: a\n    url: https://x\n    tags: &t [a, b]\n  - name: b\n    url: https://y\n    tags: *t\n", true},
		{"an anchor redefined in an item", "x-a: &t [a]\nservers:\n  - name: a\n    url: https://x\n    tags: &t [b]\n  - name: b\n    url: https://y\n    tags: *t\n", true},
		{"items anchored and aliased", "servers:\n  - &s\n    name: a\n    url: https://x\n  - *s\n", true},
		{"an anchor after the list", "servers:\n  - name: a\n    url: https://x\n    tags: *t\nx-t: &t [a]\n", false},
		{"an unknown alias", "servers:\n  - name: a\n    url: *nope\n", false},
		{"a quoted scalar across items", "servers:\n  - name: \"a\n  - b\"\n    url: https://x\n", false},
		{"a flow mapping across items", "servers:\n  - {name: a,\n  - url: b}\n", false},
		{"a quoted scalar over lines of one item", "servers:\n  - name: \"a\n      b\"\n    url: https://x\n", true},
		{"a plain scalar over lines", "servers:\n  - name: a\n      b\n    url: https://x\n", true},
		{"block scalars kept with blank lines", "servers:\n  - name: |+\n      a\n\n  - name: >-\n      b\n\n      c\n    url: https://x\n\n", true},
		{"CRLF", "servers:\r\n  - name: a\r\n    url: https://x\r\n  - name: b\r\n    interval: 1ns\r\n", true},
		{"a lone CR", "servers:\r  - name: a\r    url: https://x\r", false},
		{"no final line feed", "servers:\n  - name: a\n    url: https://x", true},
		{"a byte-order mark", "\ufeffservers:\n  - name: a\n    url: https://x\n", true},
		{"a byte-order mark inside", "servers:\n  - name: a\n    url: https://x\n\ufeff  - name: b\n", false},
		{"non-ASCII before a column", "servers:\n  - name: ünïcödé\n    url: \"https://x\"\n    interval: 1ns\n    headers: {Ä: b}\n", true},
		{"servers: in a quoted scalar", "x-a: \"b\nservers:\n  - name: a\n    url: https://x\n\"\n", false},
		{"servers: in a block scalar", "x-a: |\n  servers:\n  - name: z\nservers:\n  - name: a\n    url: https://x\n", true},
		{"a quoted servers key first", "\"servers\": []\nservers:\n  - name: a\n    url: https://x\n", false},
		{"a quoted servers key after", "servers:\n  - name: a\n    url: https://x\n\"servers\": 1\n", true},
		{"a second servers: line", "servers:\n  - name: a\nservers:\n  - name: b\n", true},
		{"a document start first", "---\nservers:\n  - name: a\n    url: https://x\n", true},
		{"a document end before the list", "a: 1\n...\nservers:\n  - name: a\n    url: https://x\n", false},
		{"a second document after the list", ab + "---\nb: 1\n", false},
		{"a second document after other keys", ab + "c: 1\n---\nb: 1\n", false},
		{"a directive", "%YAML 1.1\n---\n" + ab, false},
		{"a tab", "servers:\n  - name: a\n    url:\thttps://x\n", false},
		{"tags", "servers:\n  - !!map\n    name: a\n    url: !!str https://x\n  - name: !!int 5\n    url: https://y\n    tags: !!seq [a]\n", true},
		{"items that are not mappings", "servers:\n  - a\n  - [b, c]\n  -\n  - - d\n", true},
		{"an item on the line after its dash", "servers:\n  -\n    name: a\n    url: https://x\n", true},
		{"a list at the item column inside an item", "servers:\n  - name: a\n    tags:\n  - x\n", true},
		{"odd indentation", "servers:\n    - name: a\n      url: https://x\n  - name: b\n", false},
		{"a key at the item column", "servers:\n  - name: a\n    url: https://x\n  foo: 1\n", false},
		{"a dash at column 1 after indented items", "servers:\n  - name: a\n- b\n", false},
		{"a flow list", "servers: [{name: a, url: \"https://x\"}]\n", false},
		{"an empty list", "servers:\n  # none yet\n", false},
		{"a mapping for servers", "servers:\n  a: 1\n", false},
		{"a syntax error in an item", "servers:\n  - name: a\n    url: [x\n  - name: b\n", false},
		{"a syntax error above the list", "x: [\n" + ab, false},
		{"a syntax error below the list", ab + "x: [\n", false},
		{"more than maxErrors", manyErrors.String(), true},
		{"more than maxErrors, then a syntax error", manyErrors.String() + "  - name: [\n", false},
		{"more than maxTokens over items", tokens.String(), false},
		{"nested too deep in an item", nested, false},
		{"a merge bomb", merge.String(), true},
		{"too many keys above the list", keys.String(), false},
		// Documents of itemsPerDoc items: what crosses from one to the next.
		{"an anchor in the first document, its alias in the third", "servers:\n  - name: a\n    url: https://x\n    tags: &t [a]\n" +
			items(2*itemsPerDoc) + "  - name: b\n    url: https://y\n    tags: *t\n", true},
		{"a quoted scalar from one document into the next", "servers:\n" + items(itemsPerDoc-1) + "  - name: \"a\n  - b\"\n    url: https://x\n" + items(3), false},
		{"a quoted scalar across items inside a document", "servers:\n" + items(itemsPerDoc+1) + "  - name: \"a\n  - b\"\n    url: https://x\n" + items(3), false},
		// Groups read alone (no anchor in the file): plainly, or by yaml.v3.
		{"plain groups around one yaml.v3 reads", "servers:\n" + items(itemsPerDoc+3) + "  - name: \"q\"\n    url: 'https://x'\n" +
			items(2*itemsPerDoc) + "  - name: z\n    url: https://x\n    interval: 1ns\n", true},
		{"aliases of anchors above the list in plain groups, then a group yaml.v3 reads, from the stream",
			"x-t: &t [a]\nx-auth: &auth {type: bearer, token: \"${T}\"}\nservers:\n" + strings.ReplaceAll(items(itemsPerDoc+3), "https://x\n", "https://x\n    auth: *auth\n") +
				"  - name: \"q\\u0041\"\n    url: https://x\n    tags: *t\n" + strings.ReplaceAll(items(itemsPerDoc), "https://x\n", "https://x\n    tags: *t\n    bad: 1\n"), true},
		{"an anchor in the list: the stream from the start", "x-t: &t [a]\nservers:\n" + items(itemsPerDoc+3) + "  - name: a\n    url: https://x\n    tags: &u [b]\n" + items(3) + "  - name: b\n    url: https://y\n    tags: *u\n", true},
		{"a query in a URL is no anchor", "servers:\n  - name: a\n    url: https://x/?a=1&b=2\n  - name: b\n    url: https://y\n    bad: 1\n", true},
		{"a syntax error in a group read alone", "servers:\n" + items(itemsPerDoc+3) + "  - name: [a\n" + items(3), false},
		{"an alias in a group read alone", "servers:\n" + items(itemsPerDoc+3) + "  - name: *a\n" + items(3), false},
		{"an error in the second document", "servers:\n" + items(itemsPerDoc+5) + "  - name: a\n    bad: 1\n" + items(3), true},
		// The rest of cmd's malformed-config corpus that gets past the preflight.
		{"lists nested on one line", "servers:\n" + strings.Repeat("- ", 200000) + "x\n", false},
		{"brackets", "servers: " + strings.Repeat("[", 100000) + "\n", false},
		{"alias of many errors", "x-s: &s\n  name: a\n  url: https://x\n  bad: 1\nservers: [" + strings.TrimSuffix(strings.Repeat("*s, ", 2000), ", ") + "]\n", false},
		{"interval 1ns", "servers:\n  - name: a\n    url: https://x\n    interval: 1ns\n", true},
		{"a billion probes", "concurrency: 1000000000\nservers:\n  - name: a\n    url: https://x\n", true},
		{"CR LF in a header", "servers:\n  - name: a\n    url: https://x\n    headers: {X-Tenant: \"acme\\r\\nX-Admin: 1\"}\n", true},
	}
}

func TestParseByItemMatchesWhole(t *testing.T) {
	for _, c := range byItemCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("T", "t")
			f, warns, err, used := parse("c.yaml", []byte(c.data), true)
			if diff, _ := diffWhole("c.yaml", []byte(c.data), f, warns, err); diff != "" {
				t.Fatal(diff)
			}
			if used != c.byItem {
				t.Errorf("read by item: %v, want %v (errors: %v)", used, c.byItem, err)
			}
		})
	}
}

// TestParseByItemReadsPlainly pins how a file's items are read: plainly
// (plain.go) where they allow it, else a group at a time by yaml.v3, alone
// or, when an alias may name an anchor, from the stream on.
func TestParseByItemReadsPlainly(t *testing.T) {
	t.Setenv("MCPW_BENCH_SECRET", "s")
	next := 0
	items := func(n int, extra string) string {
		var b strings.Builder
		for range n {
			next++
			fmt.Fprintf(&b, "  - name: s%d\n    url: https://x\n%s", next, extra)
		}
		return b.String()
	}
	escaped := "  - name: \"q\\u0041\"\n    url: https://x\n" // an escape: yaml.v3's
	for _, c := range []struct {
		name string
		data string
		want itemsRead
	}{
		{"bench fleet", string(benchConfig(130)), itemsRead{plain: 130}},
		{"bench fleet, anchored auth", string(benchConfigAnchored(130)), itemsRead{plain: 130}},
		{"no anchor, one group yaml.v3's", "servers:\n" + items(itemsPerDoc+3, "") + escaped + items(itemsPerDoc, ""),
			itemsRead{plain: 68, alone: 64}},
		{"anchors above, one group yaml.v3's", "x-t: &t [a]\nservers:\n" + items(itemsPerDoc+3, "    tags: *t\n") + escaped + items(itemsPerDoc, "    tags: *t\n"),
			itemsRead{plain: 64, stream: 68}},
		{"an anchor in the list", "servers:\n  - name: a\n    url: https://x\n    tags: &t [a]\n" + items(itemsPerDoc, "    tags: *t\n"),
			itemsRead{stream: 65}},
	} {
		var got itemsRead
		byItemRead = func(r itemsRead) { got = r }
		_, _, err, used := parse("c.yaml", []byte(c.data), true)
		byItemRead = nil
		if err != nil || !used || got != c.want {
			t.Errorf("%s: read %+v, want %+v (by item %v, error %v)", c.name, got, c.want, used, err)
		}
	}
}

// TestParseByItemShiftsLines pins what the comparison above relies on: the
// by-item parse reports the file's own lines and columns.
func TestParseByItemShiftsLines(t *testing.T) {
	data := "concurrency: 3\nservers:\n\n  - name: a\n    url: https://x\n  # b\n  - name: b\n    url: https://y\n    interval: 1ns\n"
	_, _, err, used := parse("c.yaml", []byte(data), true)
	if !used {
		t.Fatal("not read by item")
	}
	want := `c.yaml:9:15: servers[1].interval: must be at least 1s, got "1ns"; more than one check a second only loads the server; use a Go duration like 30s or 2m`
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %s", err, want)
	}
}
