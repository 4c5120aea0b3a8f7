package oauth

import "strings"

// challenge is one RFC 9110 §11.6.1 WWW-Authenticate challenge.
type challenge struct {
	scheme string
	params map[string]string // names lower-cased
}

// bearerParam returns a parameter of the first Bearer challenge that has it, across all
// WWW-Authenticate header values (a server may send several, or several challenges in one).
func bearerParam(values []string, name string) string {
	for _, v := range values {
		for _, ch := range parseChallenges(v) {
			if strings.EqualFold(ch.scheme, "Bearer") {
				if p, ok := ch.params[name]; ok {
					return p
				}
			}
		}
	}
	return ""
}

// parseChallenges reads `scheme param=value, param="quoted", Other x=y` leniently: anything it
// cannot read is skipped, never looped on. token68 credentials are ignored (we need none).
func parseChallenges(s string) []challenge {
	p := &headerParser{s: s}
	var out []challenge
	for !p.eof() {
		start := p.i
		p.skip(" \t,")
		scheme := p.token()
		if scheme == "" {
			if p.i == start {
				p.i++ // unreadable byte: skip it so we always make progress
			}
			continue
		}
		ch := challenge{scheme: scheme, params: map[string]string{}}
		for {
			p.skip(" \t")
			save := p.i
			name := p.token()
			p.skip(" \t")
			if name == "" || !p.consume('=') {
				p.i = save // the next challenge's scheme, or a token68; the outer loop takes over
				break
			}
			p.skip(" \t")
			if p.peek() == '"' {
				ch.params[strings.ToLower(name)] = p.quoted()
			} else {
				// Lenient: servers send unquoted URLs, which are not RFC 9110 tokens.
				ch.params[strings.ToLower(name)] = p.until(", \t")
			}
			p.skip(" \t")
			if !p.consume(',') {
				break
			}
		}
		out = append(out, ch)
		if p.i == start {
			p.i++
		}
	}
	return out
}

type headerParser struct {
	s string
	i int
}

func (p *headerParser) eof() bool { return p.i >= len(p.s) }

func (p *headerParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}

func (p *headerParser) consume(b byte) bool {
	if p.peek() == b && !p.eof() {
		p.i++
		return true
	}
	return false
}

func (p *headerParser) skip(chars string) {
	for !p.eof() && strings.IndexByte(chars, p.s[p.i]) >= 0 {
		p.i++
	}
}

// token reads RFC 9110 tchars, plus '/' so token68-ish values are consumed whole.
func (p *headerParser) token() string {
	start := p.i
	for !p.eof() && isTokenChar(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~/", c) >= 0
}

// until reads up to (not including) any of stop.
func (p *headerParser) until(stop string) string {
	start := p.i
	for !p.eof() && strings.IndexByte(stop, p.s[p.i]) < 0 {
		p.i++
	}
	return p.s[start:p.i]
}

// quoted reads a quoted-string starting at '"', undoing backslash escapes.
func (p *headerParser) quoted() string {
	p.i++ // opening quote
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '"':
			return b.String()
		case c == '\\' && !p.eof():
			b.WriteByte(p.s[p.i])
			p.i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Challenge is what an RFC 6750 §3 Bearer challenge in WWW-Authenticate says, made safe to
// show: Error and ErrorDescription went through the sanitizer, Scope holds valid RFC 6749 scope
// tokens only. ResourceMetadata is as sent: a URL to check (checkURL) before use, not to show.
type Challenge struct {
	Error            string   // invalid_token, insufficient_scope, invalid_request, … ("" when absent)
	ErrorDescription string   // at most 200 bytes
	Scope            []string // the scopes the server wants
	ResourceMetadata string   // RFC 9728 §5.1
}

// ParseBearerChallenge reads the Bearer challenge parameters from every WWW-Authenticate value
// of a response (a server may send several, or several challenges in one).
func ParseBearerChallenge(values []string) Challenge {
	return Challenge{
		Error:            oneLine(bearerParam(values, "error"), 64),
		ErrorDescription: oneLine(bearerParam(values, "error_description"), 200),
		Scope:            scopeTokens([]string{bearerParam(values, "scope")}),
		ResourceMetadata: bearerParam(values, "resource_metadata"),
	}
}

// Reason is the error code and description for a message: "invalid_token: token has invalid
// audience", either alone when the other is missing, or "".
func (c Challenge) Reason() string {
	switch {
	case c.Error != "" && c.ErrorDescription != "":
		return c.Error + ": " + c.ErrorDescription
	case c.Error != "":
		return c.Error
	}
	return c.ErrorDescription
}
