package probe

import (
	"encoding/json"
	"strings"
	"testing"
)

var validCases = []string{
	``, ` `, `{}`, `[]`, ` {} `, `{`, `}`, `[`, `]`, `{]`, `[}`, `{"a":1}`, `{"a" : 1 , "b":[true,false,null]}`,
	`{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{1:2}`, `{"a":1 "b":2}`, `[1 2]`, `{"a":1}}`, `[[]]]`,
	`"x"`, `"\u00e9\n\t\"\\\/\b\f\r"`, `"\u12"`, `"\u12g4"`, `"\x"`, `"a` + "\x01" + `"`, `"a` + "\x7f\xff\xfe" + `"`, `"\`,
	`0`, `-0`, `-`, `01`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-05`, `1e`, `1e+`, `-1.5e3`, `+1`, `0x1`, `1 2`, `Infinity`, `NaN`,
	`true`, `false`, `null`, `tru`, `nul`, `nulll`, `True`, `[true,false,null,"",0,{}]`,
	"\t\r\n[ 1 ,\n2 ]\r\n", "[1]\v", "\u00a0[]", `{"a":{"b":{"c":[{"d":"}"}]}}}`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
	strings.Repeat("[", 20),
}

// TestJSONValidAsJSON: jsonValid says what json.Valid says.
func TestJSONValidAsJSON(t *testing.T) {
	for _, s := range append(validCases, servedDiscover, servedTools) {
		if got, want := jsonValid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("%.80q: jsonValid %v, json.Valid %v", s, got, want)
		}
	}
}

func FuzzJSONValid(f *testing.F) {
	for _, s := range validCases {
		if len(s) < 200 {
			f.Add(s)
		}
	}
	f.Add(servedTools)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := jsonValid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Fatalf("%q: jsonValid %v, json.Valid %v", s, got, want)
		}
	})
}

// BenchmarkJSONValid: checking a tools/list result, json's way and ours.
func BenchmarkJSONValid(b *testing.B) {
	page := []byte(servedTools)
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			json.Valid(page)
		}
	})
	b.Run("jsonValid", func(b *testing.B) {
		for b.Loop() {
			jsonValid(page)
		}
	})
}
