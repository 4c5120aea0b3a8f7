package sshserver

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/probe"
)

func TestHostKeyCreatedOnceThenReused(t *testing.T) {
	dir := t.TempDir()
	auth := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(auth, []byte(newUserKey(t, dir, "id").line), 0o600); err != nil {
		t.Fatal(err)
	}
	hostKey := filepath.Join(dir, "state", "mcpwatch", "ssh_host_ed25519_key")
	logs := &syncBuffer{}
	start := func() string {
		t.Helper()
		s, err := New(Options{Addr: "127.0.0.1:0", HostKeyPath: hostKey, AuthorizedKeysPath: auth,
			Source: probe.NewPool(emptyConfig(), probe.NewChecker("test")), Logger: slog.New(slog.NewTextHandler(logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		return s.HostKeyFingerprint()
	}
	first := start()
	if !strings.HasPrefix(first, "SHA256:") {
		t.Fatalf("fingerprint %q", first)
	}
	fi, err := os.Stat(hostKey)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("host key mode %v, want 0600", fi.Mode().Perm())
	}
	for _, d := range []string{filepath.Dir(hostKey), filepath.Dir(filepath.Dir(hostKey))} {
		di, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if di.Mode().Perm() != 0o700 {
			t.Errorf("created directory %s has mode %v, want 0700", d, di.Mode().Perm())
		}
	}
	data, _ := os.ReadFile(hostKey)
	if !strings.Contains(string(data), "OPENSSH PRIVATE KEY") {
		t.Errorf("host key is not an OpenSSH private key file:\n%s", data)
	}
	if second := start(); second != first {
		t.Errorf("second start has host key %s, first had %s: the key must be reused", second, first)
	}
	if n := strings.Count(logs.String(), "host key created"); n != 1 {
		t.Errorf("host key created %d times, want once:\n%s", n, logs)
	}
}

func TestAuthorizedKeysSkipsOptionsAndJunk(t *testing.T) {
	dir := t.TempDir()
	plain, restricted, later := newUserKey(t, dir, "plain"), newUserKey(t, dir, "restricted"), newUserKey(t, dir, "later")
	path := filepath.Join(dir, "authorized_keys")
	content := "# comment\n\n" +
		"not a key at all\n" +
		`from="10.0.0.0/8",no-pty ` + restricted.line +
		"  " + plain.line
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	keys, n, err := loadAuthorizedKeys(path, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d keys loaded, want 1 (the plain one)", n)
	}
	if !keys.allowed(plain.signer.PublicKey()) {
		t.Error("the plain key is not allowed")
	}
	// Options are not enforced here, so a key that carries them must not get
	// in with fewer restrictions than its owner wrote down.
	if keys.allowed(restricted.signer.PublicKey()) {
		t.Error("a key with options (from=, no-pty) is allowed: its restrictions would be silently dropped")
	}
	if keys.allowed(nil) {
		t.Error("a nil key is allowed")
	}
	for _, want := range []string{"line=3", "not a public key", "line=4", "key options are not supported", restricted.fingerprint()} {
		if !logs.contains(want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}

	// Same size, same timestamp tick: only the content tells.
	if len(later.line) != len(plain.line) {
		t.Fatal("test keys differ in length")
	}
	if err := os.WriteFile(path, []byte(plain.line), 0o600); err != nil {
		t.Fatal(err)
	}
	if !keys.allowed(plain.signer.PublicKey()) {
		t.Fatal("the plain key is not allowed")
	}
	if err := os.WriteFile(path, []byte(later.line), 0o600); err != nil {
		t.Fatal(err)
	}
	if keys.allowed(plain.signer.PublicKey()) || !keys.allowed(later.signer.PublicKey()) {
		t.Error("an in-place edit of the file was not picked up at once")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if keys.allowed(later.signer.PublicKey()) {
		t.Error("a key is allowed while the file is gone: must fail closed")
	}
	if !logs.contains("refusing every login") {
		t.Errorf("no error logged for the missing file:\n%s", logs)
	}
}

func TestNewRefusesWhatCannotBeSafe(t *testing.T) {
	dir := t.TempDir()
	auth := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(auth, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	src := probe.NewPool(emptyConfig(), probe.NewChecker("test"))
	host := filepath.Join(dir, "host_key")
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	for name, o := range map[string]Options{
		"no authorized keys file": {Addr: "127.0.0.1:0", HostKeyPath: host, Source: src},
		"missing authorized keys": {Addr: "127.0.0.1:0", HostKeyPath: host, AuthorizedKeysPath: filepath.Join(dir, "nope"), Source: src},
		"no source":               {Addr: "127.0.0.1:0", HostKeyPath: host, AuthorizedKeysPath: auth},
		"no host key path":        {Addr: "127.0.0.1:0", AuthorizedKeysPath: auth, Source: src},
		"bad colour":              {Addr: "127.0.0.1:0", HostKeyPath: host, AuthorizedKeysPath: auth, Source: src, Color: "rainbow"},
		"negative max sessions":   {Addr: "127.0.0.1:0", HostKeyPath: host, AuthorizedKeysPath: auth, Source: src, MaxSessions: -1},
		"negative auth timeout":   {Addr: "127.0.0.1:0", HostKeyPath: host, AuthorizedKeysPath: auth, Source: src, AuthTimeout: -1},
		"negative total cap":      {Addr: "127.0.0.1:0", HostKeyPath: host, AuthorizedKeysPath: auth, Source: src, MaxUnauthenticated: -1},
		"negative source cap":     {Addr: "127.0.0.1:0", HostKeyPath: host, AuthorizedKeysPath: auth, Source: src, MaxUnauthenticatedPerSource: -1},
		"negative rate":           {Addr: "127.0.0.1:0", HostKeyPath: host, AuthorizedKeysPath: auth, Source: src, ConnectsPerMinute: -1},
		"bad address":             {Addr: "127.0.0.1:99999", HostKeyPath: host, AuthorizedKeysPath: auth, Source: src},
	} {
		o.Logger = log
		if s, err := New(o); err == nil {
			s.Close()
			t.Errorf("%s: New succeeded", name)
		}
	}

	// An empty file is allowed (keys can be added while running) but said.
	s, err := New(Options{Addr: "127.0.0.1:0", HostKeyPath: host, AuthorizedKeysPath: auth, Source: src, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !logs.contains("nobody can log in") {
		t.Errorf("no warning for an empty authorized keys file:\n%s", logs)
	}
	// Public key is the only method: with no password or keyboard-interactive
	// handler installed, no such attempt can ever be consulted.
	if s.ssh.PasswordHandler != nil || s.ssh.KeyboardInteractiveHandler != nil {
		t.Error("a password or keyboard-interactive handler is installed")
	}
	// The per-connection config only watches for the end of authentication.
	if cb := s.ssh.ServerConfigCallback; cb != nil {
		c := cb(nil)
		if c.NoClientAuth || c.PasswordCallback != nil || c.KeyboardInteractiveCallback != nil || c.PublicKeyCallback != nil ||
			c.GSSAPIWithMICConfig != nil || c.NoClientAuthCallback != nil || c.AuthLogCallback == nil {
			t.Errorf("the server config enables an authentication method: %+v", c)
		}
	}
	if s.ssh.PublicKeyHandler == nil {
		t.Error("no public-key handler: the SSH library would let everyone in")
	}
	if s.opts.MaxSessions != DefaultMaxSessions {
		t.Errorf("max sessions default %d, want %d", s.opts.MaxSessions, DefaultMaxSessions)
	}
	if s.opts.AuthTimeout != DefaultAuthTimeout || s.ssh.HandshakeTimeout != DefaultAuthTimeout ||
		s.opts.MaxUnauthenticated != DefaultMaxUnauthenticated || s.opts.MaxUnauthenticatedPerSource != DefaultMaxUnauthenticatedPerSource ||
		s.opts.ConnectsPerMinute != DefaultConnectsPerMinute {
		t.Errorf("pre-authentication limits are not the defaults: %+v (handshake timeout %s)", s.opts, s.ssh.HandshakeTimeout)
	}
}
