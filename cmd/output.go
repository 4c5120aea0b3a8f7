package cmd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mcpwatch/mcpwatch/probe"
	"github.com/mcpwatch/mcpwatch/textsafe"
)

// SchemaVersion names the JSON layout of `check --output json`. Bump it on
// any change that could break a consumer; adding fields is not one.
const SchemaVersion = "mcpwatch.check/v1"

type jsonReport struct {
	Schema      string         `json:"schema"`
	GeneratedAt time.Time      `json:"generated_at"`
	Source      string         `json:"source"`
	ExitCode    int            `json:"exit_code"`
	Summary     map[string]int `json:"summary"`
	Servers     []jsonServer   `json:"servers"`
}

type jsonServer struct {
	Name            string      `json:"name"`
	URL             string      `json:"url"`
	Transport       string      `json:"transport"`
	Auth            string      `json:"auth"`
	Tags            []string    `json:"tags,omitempty"`
	Status          string      `json:"status"`
	Stage           string      `json:"stage,omitempty"`
	Class           string      `json:"class,omitempty"`
	Message         string      `json:"message,omitempty"`
	Detail          string      `json:"detail,omitempty"`
	StartedAt       time.Time   `json:"started_at"`
	LatencyMS       float64     `json:"latency_ms"`
	TotalMS         float64     `json:"total_ms"`
	Stages          []jsonStage `json:"stages"`
	ProtocolVersion string      `json:"protocol_version,omitempty"`
	Era             string      `json:"era,omitempty"`
	TransportUsed   string      `json:"transport_used,omitempty"`
	ServerInfo      *jsonInfo   `json:"server_info,omitempty"`
	LivenessMethod  string      `json:"liveness_method,omitempty"`
	Token           *jsonToken  `json:"token,omitempty"`
	TLS             *jsonTLS    `json:"tls,omitempty"` // https only (output_tls.go)
	// Warnings beside the status, e.g. token.refresh_failing; always a list.
	Warnings []probe.Warning `json:"warnings"`

	// Inventory (docs/check-json.md): what the server advertises, against its pin.
	Capabilities []string       `json:"capabilities,omitempty"`
	Inventory    *jsonInventory `json:"inventory,omitempty"`
}

type jsonInventory struct {
	Tools        int                     `json:"tools"`
	Prompts      int                     `json:"prompts"`
	Resources    int                     `json:"resources"`
	SHA256       string                  `json:"sha256,omitempty"`
	PinnedSHA256 string                  `json:"pinned_sha256,omitempty"`
	Requests     int                     `json:"requests"`
	Cached       []string                `json:"cached,omitempty"`
	Error        *probe.InventoryError   `json:"error,omitempty"`
	Changes      []probe.InventoryChange `json:"changes"`
}

// inventoryJSON is a check's inventory beside the pin it is compared with.
func inventoryJSON(r *probe.Result, st *probe.ServerState) *jsonInventory {
	ir := r.Inventory
	if ir == nil {
		return nil
	}
	ji := &jsonInventory{Tools: ir.Tools, Prompts: ir.Prompts, Resources: ir.Resources, SHA256: ir.Hash,
		Requests: ir.Requests, Cached: ir.Cached, Error: ir.Error, Changes: []probe.InventoryChange{}}
	if inv := st.Inventory; inv != nil {
		if inv.Pinned != nil {
			ji.PinnedSHA256 = inv.Pinned.Hash
		}
		ji.Changes = append(ji.Changes, inv.Changes...)
	}
	return ji
}

type jsonStage struct {
	Stage      string  `json:"stage"`
	DurationMS float64 `json:"duration_ms"`
	OK         bool    `json:"ok"`
}

type jsonInfo struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type jsonToken struct {
	TokenURL        string     `json:"token_url,omitempty"`
	TokenURLSource  string     `json:"token_url_source,omitempty"`
	ObtainedAt      *time.Time `json:"obtained_at,omitempty"`
	ExpiresAt       *time.Time `json:"expires_at,omitempty"`
	ExpiryDefaulted bool       `json:"expiry_defaulted"`
	Scopes          []string   `json:"scopes,omitempty"`
	RequestedScopes []string   `json:"requested_scopes,omitempty"`
	ScopeSource     string     `json:"scope_source,omitempty"`
	Issuer          string     `json:"issuer,omitempty"`
	IssuerTrust     string     `json:"issuer_trust,omitempty"`
	LastError       string     `json:"last_error,omitempty"`
	TLS             *jsonTLS   `json:"tls,omitempty"` // an https token endpoint (output_tls.go)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// writeJSON writes the versioned report documented in docs/check-json.md.
// It is built field by field from Results, which never hold a secret or token.
// The servers are encoded and written one at a time, the bytes exactly those
// of the whole report encoded at once: at 10,000 servers the report whole,
// indented and escaped, took three copies of 16 MB at the end of a check.
func writeJSON(w io.Writer, snap *probe.Snapshot, results []probe.Result, code int) error {
	rep := reportHead(snap, results, code)
	if len(results) == 0 {
		return writeSafeJSON(w, rep)
	}
	var head bytes.Buffer
	if err := encodeIndented(&head, rep); err != nil {
		return err
	}
	// The head ends with the empty list and the closing brace: "[]\n}\n".
	b := head.Bytes()
	b = b[:bytes.LastIndex(b, []byte("[]"))+1]
	bw := bufio.NewWriterSize(w, 64<<10)
	_, _ = bw.Write(textsafe.EscapeJSON(b))
	states := statesByName(snap)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // one for all: it keeps its buffers
	var out []byte
	for i := range results {
		r, st := &results[i], states[results[i].Server]
		out = append(out[:0], ",\n    "...)
		if i == 0 {
			out = out[1:]
		}
		var ok bool
		n := len(out)
		if out, ok = appendServer(out, r, st); !ok { // output_append.go
			buf.Reset()
			if err := enc.Encode(serverJSON(r, st)); err != nil {
				return err
			}
			// Compact, then indented here (jsonindent.go), the encoder's newline left out.
			out = appendIndent(out[:n], buf.Bytes()[:buf.Len()-1], "    ", "  ")
		}
		if _, err := bw.Write(textsafe.EscapeJSON(out)); err != nil {
			return err
		}
	}
	_, _ = bw.WriteString("\n  ]\n}\n")
	return bw.Flush()
}

// reportHead is the report without its servers: a summary of results.
func reportHead(snap *probe.Snapshot, results []probe.Result, code int) jsonReport {
	rep := jsonReport{Schema: SchemaVersion, GeneratedAt: time.Now().UTC(), Source: snap.Source, ExitCode: code,
		Summary: map[string]int{}, Servers: []jsonServer{}}
	for _, st := range probe.Statuses {
		rep.Summary[string(st)] = 0
	}
	for i := range results {
		rep.Summary[string(results[i].Status)]++
	}
	return rep
}

// serverJSON is one server's entry in the report: its result, and from its
// state what the config says of it and its warnings. st may be nil.
func serverJSON(r *probe.Result, st *probe.ServerState) jsonServer {
	if st == nil {
		st = &probe.ServerState{}
	}
	js := jsonServer{Name: r.Server, URL: st.URL, Transport: st.Transport, Auth: st.AuthKind, Tags: st.Tags,
		Warnings: append([]probe.Warning{}, st.Warnings...),
		Status:   string(r.Status), Stage: string(r.Stage), Class: r.Class, Message: r.Message, Detail: r.Detail,
		StartedAt: r.Started.UTC(), LatencyMS: ms(r.Latency), TotalMS: ms(r.Total), Stages: []jsonStage{},
		ProtocolVersion: r.ProtocolVersion, Era: r.Era, TransportUsed: r.Transport, LivenessMethod: r.LivenessMethod}
	for _, s := range r.Stages {
		js.Stages = append(js.Stages, jsonStage{Stage: string(s.Stage), DurationMS: ms(s.Duration), OK: s.OK})
	}
	js.Capabilities, js.Inventory = r.Capabilities, inventoryJSON(r, st)
	if r.ServerName != "" || r.ServerVersion != "" {
		js.ServerInfo = &jsonInfo{Name: r.ServerName, Version: r.ServerVersion}
	}
	if t := r.Token; t != nil {
		js.Token = &jsonToken{TokenURL: t.TokenURL, TokenURLSource: t.TokenURLSource,
			ObtainedAt: timePtr(t.Obtained), ExpiresAt: timePtr(t.Expiry), ExpiryDefaulted: t.ExpiryDefaulted,
			Scopes: t.Scopes, RequestedScopes: t.RequestedScopes, ScopeSource: t.ScopeSource, Issuer: t.Issuer, IssuerTrust: t.IssuerTrust, LastError: t.LastError}
		js.Token.TLS = certJSON(t.TLS)
	}
	js.TLS = certJSON(r.TLS)
	return js
}

// writeSafeJSON writes v indented. JSON keeps the servers' words, but with
// DEL, C1 and bidi controls as \u escapes (encoding/json escapes only C0):
// a report printed to a terminal or opened in an editor shows them, never
// obeys them.
func writeSafeJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	if err := encodeIndented(&buf, v); err != nil {
		return err
	}
	_, err := w.Write(textsafe.EscapeJSON(buf.Bytes()))
	return err
}

// encodeIndented appends v to buf as the report's encoder writes it.
func encodeIndented(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func statesByName(snap *probe.Snapshot) map[string]*probe.ServerState {
	m := make(map[string]*probe.ServerState, len(snap.Servers))
	for _, s := range snap.Servers {
		m[s.Name] = s
	}
	return m
}

// writeTable prints one line per server, then a summary line. Every cell
// that holds text from a server or a config goes through textsafe.Line: no
// escape sequence or control reaches the terminal, and no tab or newline
// breaks the table.
func writeTable(w io.Writer, snap *probe.Snapshot, results []probe.Result) error {
	cell := func(s string) string { return dash(textsafe.Line(s, 0)) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tSERVER\tSTAGE\tLATENCY\tPROTOCOL\tLIVENESS\tTOKEN\tMESSAGE")
	counts := map[probe.Status]int{}
	now := time.Now()
	states := statesByName(snap)
	for _, r := range results {
		counts[r.Status]++
		lat := "—"
		if r.Latency > 0 {
			lat = r.Latency.Round(time.Millisecond).String()
		}
		msg := r.Message
		if r.Class != "" && r.Status != probe.StatusSkipped {
			msg = r.Class + ": " + msg
		}
		if st := states[r.Server]; st != nil {
			msg = withWarnings(msg, st.Warnings) // output_tls.go
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Status, cell(r.Server), cell(string(r.Stage)), lat,
			cell(r.ProtocolVersion), cell(r.LivenessMethod), tokenCell(r.Token, now), cell(msg))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, st := range probe.Statuses {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	_, err := fmt.Fprintf(w, "\n%d checked from %s: %s\n", len(results), textsafe.Line(snap.Source, 0), strings.Join(parts, ", "))
	return err
}

func tokenCell(t *probe.TokenInfo, now time.Time) string {
	switch {
	case t == nil:
		return "—"
	case t.Expiry.IsZero():
		return "not obtained"
	case t.ExpiryDefaulted:
		return "no expiry given"
	}
	left := t.Expiry.Sub(now).Round(time.Second)
	if left <= 0 {
		return "expired"
	}
	return "expires in " + left.String()
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
