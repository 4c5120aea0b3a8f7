package demo

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mcpwatch/mcpwatch/config"
)

// YAML returns the fleet's config as a config file, for
// `mcpwatch demo --print-config`. Each server carries a comment saying what
// the probe should report for it and why. Secrets appear only as ${NAME}
// references, never as values.
func (f *Fleet) YAML() []byte {
	var b bytes.Buffer
	b.WriteString(`# mcpwatch demo fleet, as printed by "mcpwatch demo --print-config".
# The servers listen on random loopback ports and exist only while "mcpwatch demo" runs.
# Secrets are random per run and live in that process's environment (MCPWATCH_DEMO_*);
# this file holds only references to them.
`)
	writeFile(&b, f.cfg, f.notes)
	return b.Bytes()
}

// writeFile emits c in the config file format. It writes the fields the
// fleet uses and leaves out values the loader would fill in by itself
// (transport http, auth none, flow client_credentials, resource = url,
// durations equal to the defaults), so the file reads like one a person wrote.
func writeFile(b *bytes.Buffer, c *config.File, notes []string) {
	d := c.Defaults
	fmt.Fprintf(b, "defaults:\n  interval: %s\n  timeout: %s\n  slow: %s\n", d.Interval, d.Timeout, d.Slow)
	if d.MaxMessageSize != config.DefaultMaxMessageSize {
		fmt.Fprintf(b, "  max_message_size: %d\n", d.MaxMessageSize)
	}
	fmt.Fprintf(b, "concurrency: %d\nper_host: %d\n", c.Concurrency, c.PerHost)
	b.WriteString("servers:\n")
	for i, s := range c.Servers {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(notes) {
			comment(b, "  ", notes[i])
		}
		fmt.Fprintf(b, "  - name: %s\n", scalar(s.Name))
		writeServer(b, "    ", &s, d)
	}
}

func writeServer(b *bytes.Buffer, ind string, s *config.Server, d config.Defaults) {
	field(b, ind, "url", scalar(s.URL))
	if s.Transport != "" && s.Transport != config.TransportAuto {
		field(b, ind, "transport", scalar(s.Transport))
	}
	if len(s.Tags) > 0 {
		field(b, ind, "tags", flowList(s.Tags))
	}
	duration(b, ind, "interval", s.Interval, d.Interval)
	duration(b, ind, "timeout", s.Timeout, d.Timeout)
	duration(b, ind, "slow", s.Slow, d.Slow)
	if s.MaxMessageSize != d.MaxMessageSize {
		field(b, ind, "max_message_size", fmt.Sprint(s.MaxMessageSize))
	}
	if s.NoInventory {
		field(b, ind, "inventory", "false")
	}
	if s.Disabled {
		field(b, ind, "disabled", "true")
	}
	writeTLS(b, ind, s, d) // tls.go
	a := &s.Auth
	if a.Type == "" || a.Type == config.AuthNone {
		return
	}
	b.WriteString(ind + "auth:\n")
	ind += "  "
	field(b, ind, "type", scalar(a.Type))
	secret(b, ind, "token", a.Token)
	if a.Flow != "" && a.Flow != config.FlowClientCredentials {
		field(b, ind, "flow", scalar(a.Flow))
	}
	optional(b, ind, "token_url", a.TokenURL)
	optional(b, ind, "client_id", a.ClientID)
	secret(b, ind, "client_secret", a.ClientSecret)
	if len(a.Scopes) > 0 {
		field(b, ind, "scopes", flowList(a.Scopes))
	}
	optional(b, ind, "audience", a.Audience)
	if a.Resource != s.URL {
		optional(b, ind, "resource", a.Resource)
	}
	optional(b, ind, "method", a.Method)
	optional(b, ind, "issuer", a.Issuer)
}

func field(b *bytes.Buffer, ind, key, value string) {
	b.WriteString(ind + key + ": " + value + "\n")
}

func optional(b *bytes.Buffer, ind, key, value string) {
	if value != "" {
		field(b, ind, key, scalar(value))
	}
}

func duration(b *bytes.Buffer, ind, key string, v, def time.Duration) {
	if v != def {
		field(b, ind, key, v.String())
	}
}

// secret writes a reference. A literal is never written: the fleet has none,
// and --print-config must not be able to leak one.
func secret(b *bytes.Buffer, ind, key string, s config.Secret) {
	switch {
	case s.Env != "":
		field(b, ind, key, strconv.Quote("${"+s.Env+"}"))
	case s.File != "":
		field(b, ind, key+"_file", scalar(s.File))
	}
}

// comment writes text as comment lines of at most about 100 columns.
func comment(b *bytes.Buffer, ind, text string) {
	line := ind + "#"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 100 && line != ind+"#" {
			b.WriteString(line + "\n")
			line = ind + "#"
		}
		line += " " + w
	}
	b.WriteString(line + "\n")
}

// plainBlock and plainFlow match strings that YAML reads back unchanged as
// plain (unquoted) strings in block and in flow context; anything else is
// double-quoted. strconv.Quote's escapes are all valid YAML escapes.
var (
	plainBlock = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.:/-]*[A-Za-z0-9_./-]$|^[A-Za-z]$`)
	plainFlow  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)
	// Words a YAML 1.1 reader would turn into booleans or null.
	reserved = map[string]bool{"true": true, "false": true, "yes": true, "no": true, "on": true,
		"off": true, "y": true, "n": true, "null": true}
)

func scalar(s string) string {
	if plainBlock.MatchString(s) && !reserved[strings.ToLower(s)] {
		return s
	}
	return strconv.Quote(s)
}

func flowList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		if plainFlow.MatchString(s) && !reserved[strings.ToLower(s)] {
			out[i] = s
		} else {
			out[i] = strconv.Quote(s)
		}
	}
	return "[" + strings.Join(out, ", ") + "]"
}
