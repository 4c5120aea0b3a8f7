package sshserver

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	gossh "golang.org/x/crypto/ssh"

	"github.com/mcpwatch/mcpwatch/boundedfile"
)

// loadOrCreateHostKey reads the host key at path, or creates an ed25519 key
// there when there is none (file 0600, missing parent directories 0700).
// The same key on every start is what lets clients pin it in known_hosts.
func loadOrCreateHostKey(path string, log *slog.Logger) (gossh.Signer, error) {
	data, err := boundedfile.Read(path, 64<<10) // a PEM key is a few KiB; never a device
	if errors.Is(err, fs.ErrNotExist) {
		return createHostKey(path, log)
	}
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("host key file is readable by others; it should be mode 0600", "path", path, "mode", fi.Mode().Perm().String())
	}
	signer, err := gossh.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("host key %s (--host-key): %w; if it is damaged, remove it and a new one is made "+
			"(its fingerprint changes: viewers will be asked to trust it again)", path, err)
	}
	return signer, nil
}

func createHostKey(path string, log *slog.Logger) (gossh.Signer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "mcpwatch host key")
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	// O_EXCL: if another process created the key meanwhile, do not
	// overwrite it (clients may already trust it).
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	if _, err := f.Write(pem.EncodeToMemory(block)); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("host key: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("host key: %w", err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("host key: %w", err)
	}
	log.Info("host key created", "path", path, "fingerprint", gossh.FingerprintSHA256(signer.PublicKey()))
	return signer, nil
}
