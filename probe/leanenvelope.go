package probe

import (
	"bytes"
	"strconv"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// fastEnvelope reads an answer laid out as mcp-go's server writes one,
// {"jsonrpc":"2.0","id":N,"result":{…}} (a newline after it), as
// json.Unmarshal reads it into a transport.JSONRPCResponse; ok false for
// any other layout, which the caller then decodes with json as before.
// json.Unmarshal scanned each answer twice, and mcp-go's RequestId decoded
// a number by first failing to read it as a string: a tenth of a check's
// CPU at 1,000 servers. Here the result is only checked to be valid JSON
// (one scan) and copied, as json's RawMessage copies it.
// TestFastEnvelopeAsJSON holds it to json.Unmarshal.
func fastEnvelope(body []byte) (transport.JSONRPCResponse, bool) {
	const head = `{"jsonrpc":"2.0","id":`
	var ans transport.JSONRPCResponse
	rest, ok := bytes.CutPrefix(body, []byte(head))
	if !ok {
		return ans, false
	}
	// An id of up to 15 digits, no leading zero: a float64 holds it
	// exactly, so RequestId's float64 reading gives the same int64.
	n := 0
	for n < len(rest) && n < 16 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || n > 15 || (n > 1 && rest[0] == '0') {
		return ans, false
	}
	id, err := strconv.ParseInt(string(rest[:n]), 10, 64)
	if err != nil {
		return ans, false
	}
	rest, ok = bytes.CutPrefix(rest[n:], []byte(`,"result":`))
	if !ok {
		return ans, false
	}
	rest = bytes.TrimRight(rest, " \t\r\n")
	if len(rest) < 3 || rest[len(rest)-1] != '}' {
		return ans, false
	}
	result := rest[:len(rest)-1]
	// An object or a list, whole: valid on its own and ending where the
	// envelope's closing brace begins.
	if first, last := result[0], result[len(result)-1]; !(first == '{' && last == '}' || first == '[' && last == ']') || !jsonValid(result) { // jsonvalid.go
		return ans, false
	}
	ans.JSONRPC = "2.0"
	ans.ID = mcp.NewRequestId(id)
	ans.Result = bytes.Clone(result)
	return ans, true
}
