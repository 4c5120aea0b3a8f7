package oauth

import "slices"

// Same reports whether c and o are the same credentials in every field,
// unexported ones included (what Info shows of them: the token URL's
// source, the scopes' source); the memo Keyed adds does not count. A pool
// keeps one copy of credentials that many servers share, and of its memo:
// 10,000 servers behind one client held 10,000 memos (5 MB).
func (c Credentials) Same(o Credentials) bool {
	return c.sameKeyAs(o) && slices.Equal(c.SigningAlgs, o.SigningAlgs) &&
		c.discovered == o.discovered && c.scopeSource == o.scopeSource
}
