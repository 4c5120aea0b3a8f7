package config

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Typed access to mapping fields. Each accessor reports a wrong kind or
// value at the value's position and returns the zero value, so decoding
// carries on and every problem in the file is found in one pass.

// entry is one key of a mapping, its value already unwrapped.
type entry struct {
	key    string
	keyPos Position
	node   *yaml.Node // nil when the value is null or an unresolved alias
	valPos Position
}

// mapping is a YAML mapping at a field path, with unknown keys already
// reported. Its keys are unique (entries drops duplicates) and few (a
// server has about fifteen), so a slice searched in order costs less than a
// map, which was a third of the decoder's memory at 10,000 servers.
type mapping struct {
	d       *decoder
	path    string
	entries []entry
}

// get is the entry for key. Most keys asked for are absent (a server sets
// three or four of its eighteen), so the search copies no entry.
func (m *mapping) get(key string) (entry, bool) {
	for i := range m.entries {
		if m.entries[i].key == key {
			return m.entries[i], true
		}
	}
	return entry{}, false
}

// mappingAt reads m, found at path. Keys not in valid are reported with a
// suggestion; valid == nil allows any key (headers).
// It is a value, not a pointer: two mappings a server, made on the heap,
// were 1 MB of garbage a load at 10,000 servers.
func (d *decoder) mappingAt(path string, m *yaml.Node, valid []string, allowExt bool) mapping {
	all := d.entries(path, m, 0)
	mp := mapping{d: d, path: path, entries: all[:0]} // filtered in place
	for _, e := range all {
		if valid != nil && !slices.Contains(valid, e.key) {
			if allowExt && strings.HasPrefix(e.key, "x-") {
				continue
			}
			hint := "valid keys: " + strings.Join(valid, ", ")
			if s := suggest(e.key, valid); s != "" {
				hint = "did you mean " + s + "?"
			}
			d.errorf(e.keyPos, joinPath(path, e.key), "unknown key", hint)
			continue
		}
		mp.entries = append(mp.entries, e)
		d.locs.set(keyAt(path, e.key), loc{e.keyPos, e.valPos})
	}
	return mp
}

// entries lists m's keys with YAML merge keys (<<) expanded: explicit keys
// win over merged ones and, among merged mappings, the first wins.
func (d *decoder) entries(path string, m *yaml.Node, depth int) []entry {
	n := len(m.Content) / 2
	// A server's mappings share one buffer (decodeServers), unless merges
	// would recurse here while the keys are collected.
	if d.arena == nil || hasMergeKey(m) {
		return d.collect(path, m, depth, make([]entry, 0, n))
	}
	if cap(d.arena)-len(d.arena) < n {
		d.arena = make([]entry, 0, max(2*cap(d.arena), n)) // what was handed out keeps the old one
	}
	at := len(d.arena)
	out := d.collect(path, m, depth, d.arena[at:at:at+n]) // at most n: no merges
	d.arena = d.arena[:at+len(out)]
	return out
}

// collect is entries, appending to out.
func (d *decoder) collect(path string, m *yaml.Node, depth int, out []entry) []entry {
	var merged []entry
	var seen keySet
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		kp := d.pos(k)
		if !d.spend(kp) {
			return out
		}
		keyNode := d.unwrap(k, path)
		if keyNode != nil && keyNode.Kind == yaml.ScalarNode && keyNode.Tag == tagMerge {
			merged = append(merged, d.merge(path, v, depth)...)
			continue
		}
		key, ok := scalarText(keyNode)
		if !ok {
			d.errorf(kp, path, "keys must be plain strings, got "+kindOf(keyNode), "")
			continue
		}
		if first, dup := seen.get(out, key); dup {
			d.errorf(kp, joinPath(path, key), "duplicate key", fmt.Sprintf("first defined at line %d", first.Line))
			continue
		}
		seen.add(out, key, kp)
		vp := d.pos(v)
		valPath := "" // only an unknown alias (alias.go) is reported at it
		if d.unknown != nil {
			valPath = joinPath(path, key)
		}
		node := d.unwrap(v, valPath)
		if isNull(node) {
			node = nil
		}
		if vp.Line == 0 {
			vp = kp
		}
		out = append(out, entry{key: key, keyPos: kp, node: node, valPos: vp})
	}
	for _, e := range merged {
		if _, ok := seen.get(out, e.key); !ok {
			seen.add(out, e.key, e.keyPos)
			out = append(out, e)
		}
	}
	return out
}

// hasMergeKey reports whether m has a << key.
func hasMergeKey(m *yaml.Node) bool {
	for i := 0; i < len(m.Content); i += 2 {
		if k := m.Content[i]; k != nil && k.Kind == yaml.ScalarNode && k.Tag == tagMerge {
			return true
		}
	}
	return false
}

// keySet finds the keys entries has kept so far: by a search of them while
// they are few (a server has about fifteen), by a map once there are more
// than smallMapping (a mapping may have up to maxMappingKeys, and merges
// add more), where the search would be quadratic.
type keySet struct{ byKey map[string]Position }

const smallMapping = 32

func (s *keySet) get(kept []entry, key string) (Position, bool) {
	if s.byKey != nil {
		p, ok := s.byKey[key]
		return p, ok
	}
	for i := range kept {
		if kept[i].key == key {
			return kept[i].keyPos, true
		}
	}
	return Position{}, false
}

// add records key, about to be appended to kept.
func (s *keySet) add(kept []entry, key string, pos Position) {
	if s.byKey == nil && len(kept) >= smallMapping {
		s.byKey = make(map[string]Position, 2*len(kept))
		for _, e := range kept {
			s.byKey[e.key] = e.keyPos
		}
	}
	if s.byKey != nil {
		s.byKey[key] = pos
	}
}

func (d *decoder) merge(path string, v *yaml.Node, depth int) []entry {
	if depth >= maxMergeDepth {
		d.errorf(d.pos(v), path, "<< merges are nested too deeply", "")
		return nil
	}
	switch n := d.unwrap(v, path); {
	case isMapping(n):
		return d.entries(path, n, depth+1)
	case isSequence(n):
		var out []entry
		for _, item := range n.Content {
			if u := d.unwrap(item, path); isMapping(u) {
				out = append(out, d.entries(path, u, depth+1)...)
			} else {
				d.errorf(d.pos(item), path, "<< merges mappings only, got "+kindOf(u), "")
			}
		}
		return out
	default:
		d.errorf(d.pos(v), path, "<< merges mappings only, got "+kindOf(n), "")
		return nil
	}
}

func (m *mapping) kindError(e entry, key, want, hint string) {
	m.d.errorf(e.valPos, joinPath(m.path, key), fmt.Sprintf("expected %s, got %s", want, kindOf(e.node)), hint)
}

// mapping returns the mapping under key; null counts as absent.
func (m *mapping) mapping(key string) (*yaml.Node, bool) {
	e, ok := m.get(key)
	if !ok || e.node == nil {
		return nil, false
	}
	if !isMapping(e.node) {
		m.kindError(e, key, "a mapping", "")
		return nil, false
	}
	return e.node, true
}

// scalar returns the text of a scalar under key; null counts as absent, so
// that "name:" with nothing after it is reported as missing.
func (m *mapping) scalar(key, want string) (string, entry, bool) {
	e, ok := m.get(key)
	if !ok {
		return "", entry{}, false
	}
	return m.scalarOf(e, ok, want)
}

// scalarOf is scalar for an entry already found (ok) or not.
func (m *mapping) scalarOf(e entry, ok bool, want string) (string, entry, bool) {
	if !ok || e.node == nil {
		return "", e, false
	}
	s, ok := scalarText(e.node)
	if !ok {
		m.kindError(e, e.key, want, "")
	}
	return s, e, ok
}

func (m *mapping) str(key string) (string, bool) {
	s, _, ok := m.scalar(key, "a string")
	return s, ok
}

// shared is str for a value many servers may share (intern).
func (m *mapping) shared(key string) string {
	s, _ := m.str(key)
	return m.d.intern(s)
}

// duration sets *dst when key holds a positive Go duration, at least the
// field's minimum (durationMins), and reports whether it did.
func (m *mapping) duration(key string, dst *time.Duration) bool {
	s, e, ok := m.scalar(key, "a duration")
	if !ok {
		return false
	}
	v, err := time.ParseDuration(s)
	switch {
	case err != nil:
		m.d.errorf(e.valPos, joinPath(m.path, key), fmt.Sprintf("invalid duration %q", s), durationHint)
		return false
	case v <= 0:
		m.d.errorf(e.valPos, joinPath(m.path, key), fmt.Sprintf("duration must be positive, got %q", s), durationHint)
		return false
	}
	if lim, ok := durationMins[key]; ok && v < lim.min {
		m.d.errorf(e.valPos, joinPath(m.path, key), fmt.Sprintf("must be at least %v, got %q", lim.min, s), lim.why+"; "+durationHint)
		return false
	}
	*dst = v
	return true
}

// intRange sets *dst when key holds an integer from 1 to max; hint says
// why max.
func (m *mapping) intRange(key string, dst *int, max int, hint string) {
	e, ok := m.get(key)
	if !ok || e.node == nil {
		return
	}
	tooBig := func(text string) {
		m.d.errorf(e.valPos, joinPath(m.path, key), fmt.Sprintf("must be at most %d, got %s", max, text), hint)
	}
	n := e.node
	if n.Kind != yaml.ScalarNode || n.Tag != tagInt {
		// Unquoted digits past what 64 bits hold are a float to yaml.v3.
		if n.Kind == yaml.ScalarNode && n.Tag == tagFloat && isHugeNumber(n.Value) {
			tooBig(n.Value)
			return
		}
		m.kindError(e, key, "an integer", "")
		return
	}
	// As yaml.v3 resolved it: Go's syntax for base prefixes and "_".
	v, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
	if errors.Is(err, strconv.ErrRange) {
		v = math.MaxInt64
		if strings.HasPrefix(n.Value, "-") {
			v = math.MinInt64
		}
	} else if err != nil {
		m.kindError(e, key, "an integer", "")
		return
	}
	switch {
	case v < 1:
		m.d.errorf(e.valPos, joinPath(m.path, key), fmt.Sprintf("must be at least 1, got %d", v), "")
	case v > int64(max):
		tooBig(n.Value) // as written: 0x10000, 1_000_000
	default:
		*dst = int(v)
	}
}

// isHugeNumber reports whether s is a decimal number too large for 64 bits.
func isHugeNumber(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return errors.Is(err, strconv.ErrRange)
}

func (m *mapping) boolean(key string) bool {
	e, ok := m.get(key)
	if !ok || e.node == nil {
		return false
	}
	if e.node.Kind != yaml.ScalarNode || e.node.Tag != tagBool {
		m.kindError(e, key, "true or false", "")
		return false
	}
	return boolValue(e.node)
}

// isFalse reports whether key is set to false: for settings that default to on.
func (m *mapping) isFalse(key string) bool {
	e, set := m.get(key)
	return set && e.node != nil && !m.boolean(key)
}

func (m *mapping) strList(key string) []string {
	e, ok := m.get(key)
	if !ok || e.node == nil {
		return nil
	}
	seq := e.node
	if !isSequence(seq) {
		m.kindError(e, key, "a list of strings", fmt.Sprintf("write %s: [a, b]", key))
		return nil
	}
	base := joinPath(m.path, key)
	out := make([]string, 0, len(seq.Content))
	for i, item := range seq.Content {
		if !m.d.spend(m.d.pos(item)) {
			return out
		}
		p := fmt.Sprintf("%s[%d]", base, i)
		n := m.d.unwrap(item, p)
		s, ok := scalarText(n)
		if !ok {
			if n != nil || !m.d.reported[p] { // an unknown alias is already reported
				m.d.errorf(m.d.pos(item), p, "expected a string, got "+kindOf(n), "")
			}
			// Keep later indices lined up with the file for validation.
			out = append(out, invalidItem)
			continue
		}
		m.d.locs.set(pathKey(p), loc{m.d.pos(item), m.d.pos(item)})
		out = append(out, s)
	}
	return out
}

// secret reads key (a value or ${ENV}) or its sibling fileKey (key_file).
func (m *mapping) secret(key, fileKey string) Secret {
	v, ve, hasValue := m.scalar(key, "a string")
	p, fe, hasFile := m.scalar(fileKey, "a file path")
	switch {
	case hasValue && hasFile:
		later := fe
		if later.keyPos.before(ve.keyPos) {
			later = ve
		}
		m.d.errorf(later.keyPos, joinPath(m.path, later.key), fmt.Sprintf("both %s and %s are set", key, fileKey), "keep one")
		m.d.reported[joinPath(m.path, key)] = true
		return Secret{}
	case hasFile:
		if p == "" {
			m.d.errorf(fe.valPos, joinPath(m.path, fileKey), "empty file path", "")
			m.d.reported[joinPath(m.path, key)] = true
			return Secret{}
		}
		return Secret{File: m.d.resolvePath(p)}
	case hasValue:
		return m.d.secretValue(joinPath(m.path, key), v, ve.valPos, key)
	}
	return Secret{}
}

// secretValue turns a scalar into a Secret. fileKey names the *_file
// alternative for the literal-secret warning; "" marks a header value,
// where literals are normal (X-Tenant: acme) and earn no warning.
func (d *decoder) secretValue(path, v string, pos Position, key string) Secret {
	if name, ok := envRef(v); ok {
		if name == "" {
			d.errorf(pos, path, "empty env reference ${}", "write ${NAME}")
			return Secret{}
		}
		return Secret{Env: d.intern(name)} // the name is checked in validateSecret
	}
	if strings.Contains(v, "${") {
		// "Bearer ${TOKEN}" would otherwise silently send the text
		// "${TOKEN}".
		d.warnf(pos, path, "only a whole value ${NAME} is read from the environment; this value is used literally")
		return Secret{Literal: v}
	}
	if key != "" && v != "" {
		d.warnf(pos, path, fmt.Sprintf("literal secret in config; use ${ENV} or %s_file", key))
	}
	return Secret{Literal: v}
}

// headers reads a mapping of header name to value (literal or ${ENV}).
func (m *mapping) headers(key string) map[string]Secret {
	return m.secretMap(key, `write "" for an empty header`)
}

// env reads a stdio server's environment: variable name to value (literal
// or ${ENV}). Like header values, literals are normal (LOG_LEVEL: debug).
func (m *mapping) env(key string) map[string]Secret {
	return m.secretMap(key, `write "" for an empty variable`)
}

func (m *mapping) secretMap(key, emptyHint string) map[string]Secret {
	hm, ok := m.mapping(key)
	if !ok {
		return nil
	}
	base := joinPath(m.path, key)
	hs := m.d.mappingAt(base, hm, nil, false)
	out := make(map[string]Secret, len(hs.entries))
	for _, e := range hs.entries {
		name := e.key
		v, e, ok := hs.scalarOf(e, true, "a string")
		if !ok {
			if e.node == nil {
				m.d.errorf(e.keyPos, joinPath(base, name), "missing value", emptyHint)
			}
			continue
		}
		out[name] = m.d.secretValue(joinPath(base, name), v, e.valPos, "")
	}
	return out
}
