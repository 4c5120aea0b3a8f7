package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse asserts Parse survives any input and keeps its contract: a File
// xor Errors, and every error says where it is without Go internals; and
// that reading the servers: list by item gives what the whole parse gives.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		fullExample,
		minimal,
		"",
		"servers: []",
		"servers:\n  - {name: a, url: \"https://x\", auth: {type: oauth2, client_id: c, client_secret: \"${S}\"}}\n",
		"x-a: &a {type: bearer, token: t}\nservers:\n  - name: a\n    url: https://x\n    auth: {<<: *a}\n",
		"a: &x [*x]\nservers: *x\n",
		"servers:\n  - name: a\n    url: [x\n",
		"servers:\n\t- name: a\n",
		"? [a]\n: 1\n",
		"servers: !!map {a: 1}\n",
		"a: 1\n---\nb: 2\n",
		// The preflight and decoder limits (hostile_test.go, limits_test.go).
		"servers:\n- - - - - x\n",
		"\xff\xfes\x00",
		"servers:\n  - name: caf\xe9\n    url: https://x\n",
		"servers:\n  - name: \"a\\e[2J\\u202eb\"\n    url: https://x\n    headers: {X-A: \"a\\r\\nb\"}\n",
		"x-0: &a {k: 1}\nx-1: &b {<<: [*a, *a]}\nservers: [{name: a, url: \"https://x\", auth: {<<: *b}}]\n",
		"concurrency: 99999999999999999999\nper_host: 0x1000\nservers: [{name: a, url: \"https://x\", interval: 1ns}]\n",
		"x-a: |\n  k: 1\n  l: 2\nservers:\n- name: a\n  url: https://x\n  tags: &t [a]\n- name: b\n  url: https://x\n  tags: *t\n",
		// Read by item (split.go): comments, anchors, scalars over lines.
		"x-t: &t [a]\nservers: # c\n  - name: a\n    url: \"https://x\n      y\"\n# c\n  - name: |+\n      b\n\n    tags: *t\nper_host: 2\n",
		"servers:\n" + strings.Repeat("- name: a\n  url: \"b\"\n", itemsPerDoc+6) + "per_host: 1\n",
		// Read plainly (plain.go): aliases of anchors above the list, << keys.
		"x-a: &a {type: bearer, token: t}\nservers:\n" + strings.Repeat("  - name: a # c\n    url: https://x/?a=1&b=2\n    auth: *a\n", itemsPerDoc+1) +
			"  - name: \"b\"\n    url: https://y\n    auth:\n      <<: *a\n      bad: 1\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, warns, err := Parse("fuzz.yaml", data)
		if diff, _ := diffWhole("fuzz.yaml", data, file, warns, err); diff != "" {
			t.Fatal(diff)
		}
		if err == nil {
			if file == nil || len(file.Servers) == 0 {
				t.Fatalf("no error but file %v", file)
			}
			return
		}
		if file != nil {
			t.Fatalf("error and a file: %v", err)
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error is %T, want non-empty Errors: %v", err, err)
		}
		for _, e := range errs {
			if e.Pos.File != "fuzz.yaml" {
				t.Fatalf("error without file: %q", e.Error())
			}
			if e.Pos.Line == 0 && !strings.HasPrefix(e.Msg, "invalid YAML") {
				t.Fatalf("non-syntax error without line: %q", e.Error())
			}
			if s := e.Error(); strings.Contains(s, "*ast.") || strings.Contains(s, "goroutine") || strings.Contains(s, "runtime error") {
				t.Fatalf("Go internals in error: %q", s)
			}
		}
	})
}
