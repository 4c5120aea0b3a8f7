package sshserver

import (
	"log/slog"
	"strings"
	"testing"
)

// Key files are read like every file from outside: regular files, bounded.
func TestKeyFilesMustBeRegular(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	if _, _, err := loadAuthorizedKeys("/dev/zero", log); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("authorized keys from /dev/zero: %v", err)
	}
	if _, err := loadOrCreateHostKey("/dev/zero", log); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("host key from /dev/zero: %v", err)
	}
}
