package config

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on values, each with the reason an error gives. docs/config.md
// lists them.
const (
	// MinInterval: a server checked more than once a second learns nothing
	// new and carries the load (interval: 1ns made 560 checks a second).
	MinInterval = time.Second
	// MinTimeout: below this no check can connect, shake hands and answer.
	MinTimeout = 100 * time.Millisecond
	// MaxConcurrency is 4096 probes in flight: enough for 10,000 servers
	// that all time out at 10s to be checked within a 30s interval (3,334
	// in flight), and within the file descriptors a process gets.
	MaxConcurrency = 4096
	// MaxPerHost is 256 checks at once against one host (a gateway serving
	// many MCP servers); more is a load test, not a health check.
	MaxPerHost = 256
)

// durationMins are the minimums, by field, for file and programmatic
// servers alike.
var durationMins = map[string]struct {
	min time.Duration
	why string
}{
	"interval": {MinInterval, "more than one check a second only loads the server"},
	"timeout":  {MinTimeout, "a check must connect, shake hands and get an answer in that time"},
}

const (
	concurrencyHint = "4096 probes in flight check 10,000 servers that all time out at 10s within a 30s interval; more only exhaust file descriptors"
	perHostHint     = "more checks at once against one host is a load test, not a health check"
	// textHint and headerValueHint explain badText errors.
	textHint        = "names are shown on screen and in logs; use printable text"
	headerValueHint = "a header value is sent as it is: CR or LF would end the header and start another; use printable text, or ${ENV}"
)

// badText describes the first character of s that has no place in a name,
// a tag, a scope or a header: invalid UTF-8, a C0 or C1 control or DEL (a
// tab too, unless allowTab: header values may hold one), or a bidirectional
// control (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), which
// reorders what a terminal shows. "" when s is clean. The message names the
// character, never the text around it (which may be a secret).
func badText(s string, allowTab bool) string {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Sprintf("contains invalid UTF-8 (byte 0x%02X)", s[i])
			}
		case r == '\t' && allowTab:
		case r < 0x20 || r >= 0x7f && r <= 0x9f:
			return fmt.Sprintf("contains a control character (U+%04X)", r)
		case unicode.Is(unicode.Bidi_Control, r):
			return fmt.Sprintf("contains a bidirectional control (U+%04X)", r)
		}
	}
	return ""
}
