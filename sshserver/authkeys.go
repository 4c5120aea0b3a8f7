package sshserver

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"sync"

	gossh "golang.org/x/crypto/ssh"

	"github.com/mcpwatch/mcpwatch/boundedfile"
)

// authorizedKeys is the set of public keys allowed in, from an OpenSSH
// authorized_keys file. The file is read on every check and parsed again
// when its content changed, so adding or removing a key takes effect on the
// next login without a restart. Size and modification time would be cheaper
// but are not right: an in-place edit that keeps the size can land in the
// same coarse timestamp tick. A content hash is right in every case, and the
// file is small next to the key exchange every login costs anyway (the same
// reasoning as config.Watcher).
type authorizedKeys struct {
	path string
	log  *slog.Logger

	mu   sync.Mutex
	sum  [sha256.Size]byte
	keys map[string]bool // by SHA256 fingerprint; nil while the file is unreadable
}

// maxAuthorizedKeys bounds the file, read on every login attempt: a regular
// file of at most 1 MiB (thousands of keys); a device or a huge file is refused.
const maxAuthorizedKeys = 1 << 20

// loadAuthorizedKeys reads path once; a missing or unreadable file is an
// error at start rather than a server nobody can log in to.
func loadAuthorizedKeys(path string, log *slog.Logger) (*authorizedKeys, int, error) {
	a := &authorizedKeys{path: path, log: log}
	data, err := boundedfile.Read(path, maxAuthorizedKeys)
	if err != nil {
		return nil, 0, fmt.Errorf("authorized keys (--authorized-keys): %w; "+
			"create it with one public key per line, as in ~/.ssh/authorized_keys", err)
	}
	a.sum, a.keys = sha256.Sum256(data), a.parse(data)
	return a, len(a.keys), nil
}

// allowed reports whether key is in the file as it is now. While the file is
// unreadable nobody is allowed: failing closed is the only safe answer when
// we cannot tell who is authorized.
func (a *authorizedKeys) allowed(key gossh.PublicKey) bool {
	if key == nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	data, err := boundedfile.Read(a.path, maxAuthorizedKeys)
	if err != nil {
		if a.keys != nil {
			a.log.Error("authorized keys unreadable: refusing every login until it is back", "path", a.path, "err", err)
		}
		a.sum, a.keys = [sha256.Size]byte{}, nil
		return false
	}
	if sum := sha256.Sum256(data); sum != a.sum || a.keys == nil {
		a.sum, a.keys = sum, a.parse(data)
		a.log.Info("authorized keys reloaded", "path", a.path, "keys", len(a.keys))
	}
	return a.keys[gossh.FingerprintSHA256(key)]
}

// parse reads the keys of an authorized_keys file. A line that is not a key,
// or that carries options (from=, command=, restrict …), is skipped with a
// warning: this server enforces none of those options, and a key whose owner
// expects a restriction must not get in without it.
func (a *authorizedKeys) parse(data []byte) map[string]bool {
	keys := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, _, opts, _, err := gossh.ParseAuthorizedKey(line)
		switch {
		case err != nil:
			a.log.Warn("authorized keys: line skipped, not a public key", "path", a.path, "line", n)
		case len(opts) > 0:
			a.log.Warn("authorized keys: line skipped, key options are not supported", "path", a.path, "line", n,
				"fingerprint", gossh.FingerprintSHA256(key))
		default:
			keys[gossh.FingerprintSHA256(key)] = true
		}
	}
	if err := sc.Err(); err != nil {
		a.log.Warn("authorized keys: stopped reading", "path", a.path, "err", err)
	}
	return keys
}
