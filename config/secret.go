package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/mcpwatch/mcpwatch/boundedfile"
)

// Secret is a credential held by reference: an environment variable (Env),
// a file (File) or, discouraged, the value itself (Literal). At most one
// field is set.
//
// Secret never prints or serialises a literal value: String, fmt verbs
// (%v %+v %#v %s %q), JSON, text marshalling and slog all show only the
// reference, because a config struct ends up in logs and debug output.
type Secret struct {
	Env     string
	File    string
	Literal string
}

// validEnvName reports whether name matches [A-Za-z_][A-Za-z0-9_]*; by
// hand rather than by regexp, as every secret of every server is checked.
func validEnvName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return name != ""
}

// IsZero reports whether no secret is configured.
func (s Secret) IsZero() bool { return s.Env == "" && s.File == "" && s.Literal == "" }

// Resolve reads the secret now. Reading late (per probe, not at load) lets
// an operator rotate a file or export a variable without reloading, and the
// error text is what the dashboard shows as the reason a server is skipped,
// so it names the reference and never the value.
//
// A file must be a regular file (or a symlink to one) of at most
// MaxSecretFileSize bytes: a device, FIFO or directory is refused before it
// is read, and a FIFO is never waited on.
func (s Secret) Resolve() (string, error) { return s.ResolveContext(context.Background()) }

// ResolveContext is Resolve bounded by ctx: a secret file whose read hangs
// (a network file system that stopped answering) gives up when ctx ends,
// so a check's deadline holds while its secrets are read.
func (s Secret) ResolveContext(ctx context.Context) (string, error) {
	switch {
	case s.Env != "":
		// An empty variable is treated as unset: sending an empty
		// credential only produces a confusing 401 later.
		if v := os.Getenv(s.Env); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("secret env %s is not set", s.Env)
	case s.File != "":
		data, err := boundedfile.ReadContext(ctx, s.File, MaxSecretFileSize)
		if err != nil {
			// The PathError repeats the path with "open"; keep only the
			// cause. Wrapped so callers can still test errors.Is(err, fs.ErrNotExist).
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			// The path comes from the config file: spell out controls.
			return "", fmt.Errorf("secret file %s cannot be read: %w", EscapeControls(s.File), err)
		}
		// Files written by `echo` or editors end in a newline that is not
		// part of the secret; only one is trimmed so deliberate
		// whitespace survives.
		if bytes.HasSuffix(data, []byte("\r\n")) {
			data = data[:len(data)-2]
		} else if bytes.HasSuffix(data, []byte("\n")) {
			data = data[:len(data)-1]
		}
		if len(data) == 0 {
			return "", fmt.Errorf("secret file %s is empty", EscapeControls(s.File))
		}
		return string(data), nil
	default:
		return s.Literal, nil
	}
}

// String names the secret without revealing it.
func (s Secret) String() string {
	switch {
	case s.Env != "":
		return "${" + s.Env + "}"
	case s.File != "":
		return "file " + s.File
	case s.Literal != "":
		return "(literal)"
	default:
		return ""
	}
}

// Format makes every fmt verb print String, including when a Secret is a
// field of a struct printed with %v or %+v.
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			fmt.Fprint(f, s.GoString())
			return
		}
		fmt.Fprint(f, s.String())
	case 'q':
		fmt.Fprint(f, strconv.Quote(s.String()))
	default:
		fmt.Fprint(f, s.String())
	}
}

// GoString is %#v: Go syntax, with a literal replaced by a placeholder.
func (s Secret) GoString() string {
	var parts []string
	if s.Env != "" {
		parts = append(parts, "Env:"+strconv.Quote(s.Env))
	}
	if s.File != "" {
		parts = append(parts, "File:"+strconv.Quote(s.File))
	}
	if s.Literal != "" {
		parts = append(parts, `Literal:"(redacted)"`)
	}
	return "config.Secret{" + strings.Join(parts, ", ") + "}"
}

// MarshalText serves encoding/json, YAML encoders and anything else that
// honours encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue keeps slog from reflecting into the fields.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// envRef reports whether v is a whole-value ${NAME} reference and returns
// NAME (which may still be invalid). The one place that decides what counts
// as a reference, for secrets and for client_id alike.
func envRef(v string) (name string, ok bool) {
	if len(v) >= 3 && strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") {
		return v[2 : len(v)-1], true
	}
	return "", false
}

// ExpandEnv reads a non-secret value that may be given as a whole-value
// ${NAME} reference (client_id is one: LiteLLM and others keep it in the
// environment next to the secret). Anything else is returned as written.
// A reference with a bad name is not one (validation reports it at load).
func ExpandEnv(s string) (string, error) {
	name, ok := envRef(s)
	if !ok || !validEnvName(name) {
		return s, nil
	}
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("env %s is not set", name)
	}
	return v, nil
}
