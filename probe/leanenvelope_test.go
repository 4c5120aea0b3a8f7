package probe

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestFastEnvelopeAsJSON: an answer reads as json.Unmarshal reads it into
// a transport.JSONRPCResponse; mcp-go's server's layout is read the fast
// way (which the test requires), any other is left to json.
func TestFastEnvelopeAsJSON(t *testing.T) {
	served, err := json.Marshal(mcp.JSONRPCResponse{JSONRPC: "2.0", ID: mcp.NewRequestId(int64(7)),
		Result: map[string]any{"tools": []any{map[string]any{"name": "a\"}b", "description": "<&> é \u2028"}}}})
	if err != nil {
		t.Fatal(err)
	}
	fast := []string{
		string(served),
		string(served) + "\n",
		`{"jsonrpc":"2.0","id":1,"result":{}}`,
		`{"jsonrpc":"2.0","id":0,"result":[]}`,
		`{"jsonrpc":"2.0","id":999999999999999,"result":{"a":[1,{"b":"}"}]}}` + "\r\n ",
	}
	for _, body := range fast {
		if _, ok := fastEnvelope([]byte(body)); !ok {
			t.Errorf("%q: not read the fast way", body)
		}
	}
	others := []string{
		`{"jsonrpc":"2.0","id":1234567890123456,"result":{}}`,
		`{"jsonrpc":"2.0","id":9007199254740993,"result":{}}`,
		`{"jsonrpc":"2.0","id":01,"result":{}}`,
		`{"jsonrpc":"2.0","id":-1,"result":{}}`,
		`{"jsonrpc":"2.0","id":1.5,"result":{}}`,
		`{"jsonrpc":"2.0","id":1e3,"result":{}}`,
		`{"jsonrpc":"2.0","id":"1","result":{}}`,
		`{"jsonrpc":"2.0","id":null,"result":{}}`,
		`{"jsonrpc":"2.0","id":1,"result":null}`,
		`{"jsonrpc":"2.0","id":1,"result":"x"}`,
		`{"jsonrpc":"2.0","id":1,"result":{} }`,
		`{"jsonrpc":"2.0","id":1,"result":{"a":1}}{"b":2}}`,
		`{"jsonrpc":"2.0","id":1,"result":{"a":1}}}`,
		`{"jsonrpc":"2.0","id":1,"result":{"a":1},"error":{"code":1,"message":"m"}}`,
		`{"jsonrpc":"2.0","id":1,"result":{"a":}}`,
		`{"jsonrpc":"2.0","id":1,"result":{"a":1}`,
		`{"jsonrpc":"2.0","id":1,"result":{"a":1}]`,
		`{"jsonrpc":"2.0","id":1,"result":[1}}`,
		`{"jsonrpc":"2.0","id":1,"result":{"a":"\xff"}}`,
		`{"jsonrpc":"2.0","id":1}`,
		`{"jsonrpc":"2.0","id":1,"result":{},"id":2}`,
		`{"jsonrpc":"2.0","id":1,"result":{}}x`,
		`{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no"}}`,
		`{"id":1,"jsonrpc":"2.0","result":{}}`,
		`{"jsonrpc":"1.0","id":1,"result":{}}`,
		`{"jsonrpc":"2.0","id":1,"result":{}`,
		` {"jsonrpc":"2.0","id":1,"result":{}}`,
		"",
		strings.Repeat("[", 20),
	}
	for _, body := range append(fast, others...) {
		var want transport.JSONRPCResponse
		wantErr := json.Unmarshal([]byte(body), &want)
		got, ok := fastEnvelope([]byte(body))
		if !ok {
			continue
		}
		if wantErr != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: read as %+v, json reads %+v (%v)", body, got, want, wantErr)
		}
	}
}

func FuzzFastEnvelope(f *testing.F) {
	f.Add(`{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}`)
	f.Add(`{"jsonrpc":"2.0","id":12,"result":[{"a":"]}"}]}` + "\n")
	f.Fuzz(func(t *testing.T, body string) {
		got, ok := fastEnvelope([]byte(body))
		if !ok {
			return
		}
		var want transport.JSONRPCResponse
		if err := json.Unmarshal([]byte(body), &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: read as %+v, json reads %+v (%v)", body, got, want, err)
		}
	})
}
