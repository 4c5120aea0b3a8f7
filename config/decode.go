package config

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// The decoder turns the AST into File by hand instead of yaml.Unmarshal:
// struct decoding stops at the first error and loses positions, and this
// package's job is to report every problem with its line and column.

// Keys valid at each level, in the order hints list them.
var (
	topKeys      = []string{"defaults", "concurrency", "per_host", "allow_stdio", "state", "servers"}
	defaultsKeys = []string{"interval", "timeout", "slow", "max_message_size", "tls", "auth", "cert_warning"}
	serverKeys   = []string{"name", "url", "transport", "headers", "tags", "interval", "timeout", "slow", "max_message_size", "disabled", "auth", "command", "args", "env", "cwd", "tls", "cert_warning", "inventory"}
	authKeys     = []string{"type", "token", "token_file", "header", "value", "value_file", "username", "password",
		"password_file", "flow", "token_url", "client_id", "client_secret", "client_secret_file", "scopes",
		"audience", "resource", "method", "private_key_file", "assertion_audience", "issuer", "tls"}
)

const durationHint = "use a Go duration like 30s or 2m"

// invalidItem stands in for a list item that was already reported, so the
// items after it keep the indices they have in the file.
const invalidItem = "(invalid)"

// loc is where a field's key and value are, so that validation, which works
// on plain structs, can still point at the file.
type loc struct{ key, val Position }

// locKey is a field path split at its last dot ({"servers[2].auth",
// "type"}): the decoder records a key's position without building its path,
// a string for every key of every server.
type locKey struct{ dir, name string }

// pathKey is the locKey of path p.
func pathKey(p string) locKey {
	if i := strings.LastIndexByte(p, '.'); i >= 0 {
		return locKey{p[:i], p[i+1:]}
	}
	return locKey{"", p}
}

// keyAt is pathKey(joinPath(base, key)), built without the path unless key
// holds a dot itself (a header name may).
func keyAt(base, key string) locKey {
	if strings.IndexByte(key, '.') >= 0 {
		return pathKey(joinPath(base, key))
	}
	return locKey{base, key}
}

// maxErrors bounds the errors one file reports: past a thousand, more only
// cost memory (a server with many unknown keys, listed by alias thousands
// of times, would otherwise make millions).
const maxErrors = 1000

// maxDecodeWork bounds the keys and list items decoded, aliases and merges
// counted each time they are used: eight levels of << merges of twenty
// aliases each are 20^8 keys from an 800-byte file. Without aliases a file
// decodes fewer keys and items than it has tokens (at most maxTokens), so
// only aliases and merges can reach this; decoding costs about 700 bytes a
// key, so it also bounds the decoder's memory near 200 MB.
const maxDecodeWork = maxTokens

type decoder struct {
	name string // file name used in positions
	dir  string // relative *_file paths resolve against this
	data []byte // the file, for the "-" of a list item (itemPos)
	// unknown holds the line and column of each unknown alias (alias.go).
	unknown map[[2]int]string
	locs    *locTable // field path -> position
	// reported holds field paths that already have an error, so that
	// validation does not add "required" to "expected a string".
	reported map[string]bool
	errs     Errors
	warns    []Warning
	// work counts keys and list items decoded; exhausted is set once it
	// passes maxDecodeWork, and decoding then stops.
	work      int
	exhausted bool
	// arena holds the entries of the server being decoded (entries).
	arena []entry
	// lineNo starts at byte lineOff of data (lineStart); 0 until used.
	lineNo, lineOff int
	// shapeStack is checkTreeFrom's, kept from one item to the next.
	shapeStack []shapeFrame
	// interned holds values servers share (intern).
	interned map[string]string
}

// maxInterned bounds d.interned: a fleet shares few distinct values.
const maxInterned = 256

// intern returns the first copy of s it was given, so that a value written
// in every server (a token endpoint, a client id, an auth type) is held
// once by the File, not once per server.
func (d *decoder) intern(s string) string {
	if s == "" {
		return "" // most shared fields are left out: no look-up
	}
	if v, ok := d.interned[s]; ok {
		return v
	}
	if d.interned == nil {
		d.interned = map[string]string{}
	}
	if len(d.interned) < maxInterned {
		d.interned[s] = s
	}
	return s
}

func (d *decoder) errorf(pos Position, path, msg, hint string) {
	addError(&d.errs, &Error{Pos: pos, Path: path, Msg: msg, Hint: hint})
	if path != "" {
		d.reported[path] = true
	}
}

// addError appends e while there are fewer than maxErrors; the first error
// past that is replaced by one that says so, at its place. An error the
// same as the one before it (an anchored block used many times over) is
// dropped.
func addError(errs *Errors, e *Error) {
	if n := len(*errs); n > 0 {
		if last := (*errs)[n-1]; *last == *e {
			return
		}
	}
	switch n := len(*errs); {
	case n < maxErrors:
		*errs = append(*errs, e)
	case n == maxErrors:
		*errs = append(*errs, &Error{Pos: e.Pos, Msg: fmt.Sprintf("more than %d problems", maxErrors), Hint: "fix these first"})
	}
}

// spend counts one key or list item about to be decoded, at pos. Past
// maxDecodeWork it reports that once and returns false from then on; past
// maxErrors it returns false too, as nothing more would be shown.
func (d *decoder) spend(pos Position) bool {
	if d.exhausted || len(d.errs) > maxErrors {
		return false
	}
	if d.work++; d.work <= maxDecodeWork {
		return true
	}
	d.exhausted = true
	// Not subject to maxErrors: this is why decoding stopped.
	d.errs = append(d.errs, &Error{Pos: pos,
		Msg:  fmt.Sprintf("aliases and << merges expand this file to more than %d keys and list items", maxDecodeWork),
		Hint: "a config never needs this; look for a merge or alias used many times over"})
	return false
}

func (d *decoder) warnf(pos Position, path, msg string) {
	d.warns = append(d.warns, Warning{Pos: pos, Path: path, Msg: msg})
}

func joinPath(base, key string) string {
	if base == "" {
		return key
	}
	return base + "." + key
}

// decodeFile fills a File from the document body. Servers are validated as
// they are decoded; file-wide rules (unique names) run at the end. With
// byItem, body is the skeleton and the servers come from byItem (items.go).
func (d *decoder) decodeFile(body *yaml.Node, byItem *itemReader) *File {
	f := &File{
		Path: d.name,
		Defaults: Defaults{Interval: DefaultInterval, Timeout: DefaultTimeout, Slow: DefaultSlow, MaxMessageSize: DefaultMaxMessageSize,
			CertWarning: DefaultCertWarning},
		Concurrency: DefaultConcurrency,
		PerHost:     DefaultPerHost,
	}
	root := d.unwrap(body, "")
	if isNull(root) {
		d.errorf(Position{File: d.name, Line: 1, Col: 1}, "servers", "no servers configured", "add at least one under servers:")
		return f
	}
	if !isMapping(root) {
		d.errorf(d.pos(root), "", "expected a mapping with a servers: list, got "+kindOf(root), "")
		return f
	}
	// x-… keys are ignored so anchors shared by several servers have a
	// place to live (the docker-compose convention).
	top := d.mappingAt("", root, topKeys, true)
	if dm, ok := top.mapping("defaults"); ok {
		dd := d.mappingAt("defaults", dm, defaultsKeys, false)
		dd.duration("interval", &f.Defaults.Interval)
		timeoutSet := dd.duration("timeout", &f.Defaults.Timeout)
		slowSet := dd.duration("slow", &f.Defaults.Slow)
		dd.size("max_message_size", &f.Defaults.MaxMessageSize)
		d.decodeDefaultsTLS(&dd, &f.Defaults) // tls.go
		if (timeoutSet || slowSet) && f.Defaults.Slow >= f.Defaults.Timeout {
			d.warnSlow("defaults", slowSet, f.Defaults.Slow, f.Defaults.Timeout)
		}
	}
	top.intRange("concurrency", &f.Concurrency, MaxConcurrency, concurrencyHint)
	top.intRange("per_host", &f.PerHost, MaxPerHost, perHostHint)
	f.AllowStdio = top.boolean("allow_stdio")
	d.decodeState(&top, f) // state.go
	d.decodeServers(&top, f, byItem)
	return f
}

func (d *decoder) warnSlow(path string, slowSet bool, slow, timeout time.Duration) {
	field := "timeout"
	if slowSet {
		field = "slow"
	}
	p := joinPath(path, field)
	l, _ := d.locs.get(pathKey(p))
	d.warnf(l.val, p, fmt.Sprintf("slow (%v) is not below timeout (%v); no check can ever be reported degraded", slow, timeout))
}

func (d *decoder) decodeServers(top *mapping, f *File, byItem *itemReader) {
	var (
		n    int
		flow bool
		item func(i int) (*yaml.Node, bool)
	)
	if byItem != nil {
		n, item = len(byItem.sp.items), func(int) (*yaml.Node, bool) { return byItem.item() }
	} else {
		e, ok := top.get("servers")
		if !ok || isNull(e.node) {
			pos := Position{File: d.name, Line: 1, Col: 1}
			if ok {
				pos = e.keyPos
			}
			d.errorf(pos, "servers", "no servers configured", "add at least one under servers:")
			return
		}
		seq := e.node
		if !isSequence(seq) {
			d.errorf(e.valPos, "servers", "expected a list, got "+kindOf(e.node), `start each server with "- name: …"`)
			return
		}
		if len(seq.Content) == 0 {
			d.errorf(e.valPos, "servers", "no servers configured", "add at least one under servers:")
			return
		}
		n, flow = len(seq.Content), isFlow(seq)
		item = func(i int) (*yaml.Node, bool) { return seq.Content[i], true }
	}
	// A name's first server and the line of its name: all the hint
	// needs, in a third of the memory of an index and a Position.
	type first struct{ index, line int32 }
	firstByName := make(map[string]first, n) // name -> its first server
	f.Servers = make([]Server, 0, n)
	// Validation looks up positions by field path only within the server
	// it validates, so one map of them serves each server in turn: kept for
	// the whole file they were a fifth of the decoder's memory.
	fileLocs := d.locs
	defer func() { d.locs = fileLocs }()
	d.locs = &locTable{}
	// The entries of a server's mappings live while it is decoded.
	d.arena = make([]entry, 0, 64)
	defer func() { d.arena = nil }()
	urls := map[string]parsedURL{} // token endpoints and resources servers share
	for i := range n {
		item, ok := item(i)
		if !ok {
			return // byItem failed: Parse parses the file whole
		}
		d.locs.reset()
		d.arena = d.arena[:0]
		path := "servers[" + strconv.Itoa(i) + "]"
		pos := d.pos(item)
		if !d.spend(pos) {
			return
		}
		// In a block list the item starts at its "-".
		if !flow {
			pos = d.itemPos(item)
		}
		d.locs.set(pathKey(path), loc{pos, pos})
		m := d.unwrap(item, path)
		if !isMapping(m) {
			if m != nil || !d.reported[path] { // an unknown alias is already reported
				d.errorf(pos, path, "expected a mapping, got "+kindOf(m), "each server needs at least name: and url:")
			}
			continue
		}
		s := d.decodeServer(path, m, f.Defaults)
		s.Pos = pos
		s.Stdio.Allowed = f.AllowStdio
		validateServer(&s, &reporter{prefix: path, locs: d.locs, reported: d.reported, errs: &d.errs, warns: &d.warns, urls: urls})
		if s.Name != "" {
			l, _ := d.locs.get(locKey{path, "name"})
			at := l.val
			if fst, dup := firstByName[s.Name]; dup {
				d.errorf(at, path+".name", fmt.Sprintf("duplicate name %q", s.Name),
					fmt.Sprintf("first used by servers[%d] at line %d; names must be unique", fst.index, fst.line))
			} else {
				firstByName[s.Name] = first{int32(i), int32(at.Line)}
			}
		}
		f.Servers = append(f.Servers, s)
	}
}

func (d *decoder) decodeServer(path string, m *yaml.Node, defs Defaults) Server {
	sm := d.mappingAt(path, m, serverKeys, false)
	s := Server{Interval: defs.Interval, Timeout: defs.Timeout, Slow: defs.Slow, MaxMessageSize: defs.MaxMessageSize}
	s.Name, _ = sm.str("name")
	s.URL, _ = sm.str("url")
	s.Transport = sm.shared("transport")
	s.Headers = sm.headers("headers")
	s.Tags = sm.strList("tags")
	sm.duration("interval", &s.Interval)
	timeoutSet := sm.duration("timeout", &s.Timeout)
	slowSet := sm.duration("slow", &s.Slow)
	sm.size("max_message_size", &s.MaxMessageSize)
	// Only warn where the server overrides a value; inherited defaults
	// were already warned about once.
	if (timeoutSet || slowSet) && s.Slow >= s.Timeout {
		d.warnSlow(path, slowSet, s.Slow, s.Timeout)
	}
	s.Disabled = sm.boolean("disabled")
	s.NoInventory = sm.isFalse("inventory")
	if am, ok := sm.mapping("auth"); ok {
		s.Auth = d.decodeAuth(path+".auth", am, defs.AuthTLS)
	}
	d.decodeServerTLS(path, &sm, &s, defs) // tls.go
	s.Stdio.Command, _ = sm.str("command")
	s.Stdio.Args = sm.strList("args")
	s.Stdio.Env = sm.env("env")
	// The working directory defaults to the config file's, like *_file
	// paths, so that "./server" and "python server.py" mean the same
	// whatever directory mcpwatch is started from.
	if cwd, ok := sm.str("cwd"); ok && cwd != "" {
		s.Stdio.Cwd = d.resolvePath(cwd)
	} else if strings.EqualFold(s.Transport, TransportStdio) && d.dir != "" {
		s.Stdio.Cwd = d.dir
	}
	return s
}

func (d *decoder) decodeAuth(path string, m *yaml.Node, inheritedTLS TLS) Auth {
	am := d.mappingAt(path, m, authKeys, false)
	var a Auth
	a.Type = am.shared("type")
	a.Token = am.secret("token", "token_file")
	a.Header, _ = am.str("header")
	a.Value = am.secret("value", "value_file")
	a.Username, _ = am.str("username")
	a.Password = am.secret("password", "password_file")
	a.Flow = am.shared("flow")
	a.TokenURL = am.shared("token_url")
	a.ClientID = am.shared("client_id")
	a.ClientSecret = am.secret("client_secret", "client_secret_file")
	a.Scopes = am.strList("scopes")
	a.Audience = am.shared("audience")
	a.Resource = am.shared("resource")
	a.Method = am.shared("method")
	if p, ok := am.str("private_key_file"); ok && p != "" {
		a.PrivateKeyFile = d.resolvePath(p)
	}
	a.AssertionAudience = am.shared("assertion_audience")
	a.Issuer = am.shared("issuer")
	if tm, ok := am.mapping("tls"); ok {
		a.TLS = d.decodeTLS(path+".tls", tm, inheritedTLS)
	} else if a.Type == AuthOAuth2 {
		a.TLS = inheritedTLS // defaults.auth.tls is for token endpoints only
	}
	return a
}

// resolvePath makes a *_file path relative to the config file, so a config
// works the same whatever directory mcpwatch is started from.
func (d *decoder) resolvePath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(d.dir, p)
}

// itemPos is where a block list's item starts: its "-", which yaml.v3 does
// not keep. When only spaces and "-" stand before the item on its line
// (the usual "- name: a"), the "-" nearest it is the item's; otherwise the
// item's own position is used.
func (d *decoder) itemPos(item *yaml.Node) Position {
	pos := d.pos(item)
	if item == nil || item.Line < 1 || item.Column < 3 {
		return pos
	}
	start := d.lineStart(item.Line)
	if start < 0 || start+item.Column-1 > len(d.data) {
		return pos
	}
	// Only ASCII stands before the item here, so columns are bytes.
	before := d.data[start : start+item.Column-1]
	if strings.Trim(string(before), " -") != "" {
		return pos
	}
	if i := bytes.LastIndexByte(before, '-'); i >= 0 {
		return Position{File: d.name, Line: item.Line, Col: i + 1}
	}
	return pos
}

// lineStart is the byte offset where 1-based line begins, or -1. Lines are
// looked up in increasing order as servers are decoded, so it scans on
// from the last line found.
func (d *decoder) lineStart(line int) int {
	if d.lineNo == 0 || line < d.lineNo {
		d.lineNo, d.lineOff = 1, 0
	}
	for d.lineNo < line {
		i := bytes.IndexByte(d.data[d.lineOff:], '\n')
		if i < 0 {
			return -1
		}
		d.lineOff += i + 1
		d.lineNo++
	}
	return d.lineOff
}
