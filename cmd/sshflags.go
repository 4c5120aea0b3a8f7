package cmd

import (
	"log/slog"
	"time"

	"github.com/mcpwatch/mcpwatch/sshserver"
	"github.com/mcpwatch/mcpwatch/tui"
)

// sshFlags are the SSH server's flags, one struct shared by `serve --ssh`
// and `demo --ssh` so the two can never drift apart.
type sshFlags struct {
	SSH            string        `name:"ssh" placeholder:"ADDR" help:"Serve the dashboard over SSH on ADDR (e.g. :2222)."`
	HostKey        string        `placeholder:"FILE" help:"SSH host key; an ed25519 key is created there (mode 0600) when missing."`
	AuthorizedKeys string        `placeholder:"FILE" help:"OpenSSH authorized_keys file: the public keys let in (read again when it changes)."`
	MaxSessions    int           `default:"10" help:"SSH sessions served at once; one more is refused."`
	IdleTimeout    time.Duration `default:"10m" help:"Close an SSH connection after this long without traffic (0: never)."`
	MaxTimeout     time.Duration `default:"8h" help:"Close an SSH connection this long after it opened, busy or not (0: never)."`

	AuthTimeout                 time.Duration `default:"10s" help:"Close an SSH connection that has not finished the handshake and authentication this long after it opened."`
	MaxUnauthenticated          int           `default:"64" help:"SSH connections not yet authenticated, all sources together; more are closed at once."`
	MaxUnauthenticatedPerSource int           `default:"8" help:"SSH connections not yet authenticated from one source (an IPv4 address, an IPv6 /64)."`
	ConnectsPerMinute           int           `default:"30" help:"New SSH connections one source may open per minute (the burst is the same); more are closed at once."`
}

// problem is what is wrong with the flags as a usage error, or "" when
// nothing is (always "" without --ssh: the other flags then do nothing).
func (f *sshFlags) problem() string {
	switch {
	case f.SSH == "":
	case f.HostKey == "":
		return "--ssh needs --host-key FILE (created when missing)"
	case f.AuthorizedKeys == "":
		return "--ssh needs --authorized-keys FILE (public-key login is the only way in)"
	case f.MaxSessions < 1:
		return "--max-sessions must be at least 1"
	case f.IdleTimeout < 0 || f.MaxTimeout < 0:
		return "timeouts cannot be negative"
	case f.AuthTimeout <= 0:
		return "--auth-timeout must be more than 0 (e.g. 10s)"
	case f.MaxUnauthenticated < 1:
		return "--max-unauthenticated must be at least 1"
	case f.MaxUnauthenticatedPerSource < 1:
		return "--max-unauthenticated-per-source must be at least 1"
	case f.ConnectsPerMinute < 1:
		return "--connects-per-minute must be at least 1"
	}
	return ""
}

// options are the sshserver options the flags stand for.
func (f *sshFlags) options(color string, src tui.Source, logger *slog.Logger) sshserver.Options {
	return sshserver.Options{
		Addr:               f.SSH,
		HostKeyPath:        f.HostKey,
		AuthorizedKeysPath: f.AuthorizedKeys,
		MaxSessions:        f.MaxSessions,
		IdleTimeout:        f.IdleTimeout,
		MaxTimeout:         f.MaxTimeout,
		Color:              color,
		Source:             src, // one pool for every session
		Logger:             logger,

		AuthTimeout:                 f.AuthTimeout,
		MaxUnauthenticated:          f.MaxUnauthenticated,
		MaxUnauthenticatedPerSource: f.MaxUnauthenticatedPerSource,
		ConnectsPerMinute:           f.ConnectsPerMinute,
	}
}
