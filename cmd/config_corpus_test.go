//go:build unix

package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The malformed-config corpus, run through the real binary: things that are
// not config files (devices, FIFOs, directories, sockets, a 50 MB file) and
// files built to hurt the parser or the decoder (invalid UTF-8, control
// characters, deep nesting, tens of thousands of keys, alias and merge
// bombs) and values that would hurt the servers (interval: 1ns, a billion
// probes in flight, CR LF in a header). Each one, given to `config validate`
// and to `check --config`, must exit 2 with a first line that says where the
// problem is, print no stack trace, and finish — a hang is caught by a
// generous 10 s deadline, not by a timing assertion.

// corpusBinary builds mcpwatch (the main package, as users run it) into dir.
func corpusBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "mcpwatch")
	build := exec.Command("go", "build", "-o", bin, "github.com/mcpwatch/mcpwatch")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// corpusCase is one malformed config: how to make it, and what the first
// line of stderr must say about it.
type corpusCase struct {
	name string
	make func(t *testing.T, dir string) string // returns the path to pass
	// at is the position the first line starts with after the path
	// (":3:14"), or "" for a file that is refused before it is read, whose
	// first line names the path after the command's prefix.
	at   string
	want string // in the first line
}

func corpusFile(name, content string) func(*testing.T, string) string {
	return func(t *testing.T, dir string) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

func corpusCases() []corpusCase {
	const srv = "servers:\n  - name: a\n    url: https://x\n"
	var keys strings.Builder // 30,000 keys in one mapping: quadratic in the parser (8 s)
	keys.WriteString("x-a:\n")
	for i := range 30000 {
		fmt.Fprintf(&keys, " k%d: 1\n", i)
	}
	keys.WriteString(srv)
	var merge strings.Builder // 20^7 keys from a few hundred bytes
	merge.WriteString("x-0: &a0 {k: 1}\n")
	for lvl := 1; lvl <= 7; lvl++ {
		fmt.Fprintf(&merge, "x-%d: &a%d {<<: [%s]}\n", lvl, lvl, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*a%d, ", lvl-1), 20), ", "))
	}
	merge.WriteString("servers:\n  - name: a\n    url: https://x\n    auth: {<<: *a7}\n")
	var unknown strings.Builder // 900 unknown keys, 2000 times over
	unknown.WriteString("x-s: &s\n  name: a\n  url: https://x\n")
	for i := range 900 {
		fmt.Fprintf(&unknown, "  bad%d: 1\n", i)
	}
	unknown.WriteString("servers: [" + strings.TrimSuffix(strings.Repeat("*s, ", 2000), ", ") + "]\n")
	nested := "x-a:\n"
	for i := range 150 {
		nested += strings.Repeat(" ", i+1) + fmt.Sprintf("k%d:\n", i)
	}

	return []corpusCase{
		{name: "character device", make: func(*testing.T, string) string { return "/dev/zero" },
			want: "/dev/zero is a character device, not a regular file; give the path of the config file itself"},
		{name: "link to a device", make: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "zero.yaml")
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
			return p
		}, want: "is a character device, not a regular file"},
		{name: "FIFO", make: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "fifo.yaml")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}, want: "is a named pipe (FIFO), not a regular file"},
		{name: "directory", make: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "conf.d")
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
			return p
		}, want: "is a directory, not a regular file"},
		{name: "socket", make: func(t *testing.T, dir string) string {
			sockDir, err := os.MkdirTemp("", "corpus") // socket paths are short
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(sockDir) })
			p := filepath.Join(sockDir, "s")
			ln, err := net.Listen("unix", p)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
			return p
		}, want: "is a socket, not a regular file"},
		{name: "50 MB", make: func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "huge.yaml")
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteString(srv); err != nil {
				t.Fatal(err)
			}
			if err := f.Truncate(50 << 20); err != nil { // sparse: cheap to make
				t.Fatal(err)
			}
			return p
		}, want: "is larger than 4 MiB (it is 50 MiB), the most a config file may hold"},
		{name: "Latin-1", make: corpusFile("latin1.yaml", "servers:\n  - name: caf\xe9\n    url: https://x\n"),
			at: ":2:14", want: "invalid UTF-8 (byte 0xE9); save the file as UTF-8"},
		{name: "UTF-16", make: corpusFile("utf16.yaml", "\xff\xfes\x00e\x00r\x00v\x00"),
			at: ":1:1", want: "the file is UTF-16; save it as UTF-8"},
		{name: "a binary", make: corpusFile("elf.yaml", "\x7fELF\x02\x01\x01\x00\x00\x00"),
			at: ":1:1", want: "control character U+007F"},
		{name: "escape sequence", make: corpusFile("esc.yaml", "servers:\n  - name: a\x1b]0;pwned\x07\n    url: https://x\n"),
			at: ":2:12", want: "control character U+001B"},
		{name: "escaped escape in a name", make: corpusFile("name.yaml", "servers:\n  - name: \"a\\e[2J\\u202eb\"\n    url: https://x\n"),
			at: ":2:11", want: "servers[0].name: contains a control character (U+001B)"},
		{name: "CR LF in a header", make: corpusFile("crlf.yaml", srv+"    headers: {X-Tenant: \"acme\\r\\nX-Admin: 1\"}\n"),
			at: ":4:25", want: "servers[0].headers.X-Tenant: contains a control character (U+000D)"},
		{name: "interval 1ns", make: corpusFile("interval.yaml", srv+"    interval: 1ns\n"),
			at: ":4:15", want: `servers[0].interval: must be at least 1s, got "1ns"`},
		{name: "a billion probes", make: corpusFile("concurrency.yaml", "concurrency: 1000000000\n"+srv),
			at: ":1:14", want: "concurrency: must be at most 4096, got 1000000000"},
		{name: "per_host", make: corpusFile("perhost.yaml", "per_host: 100000\n"+srv),
			at: ":1:11", want: "per_host: must be at most 256, got 100000"},
		{name: "lists nested on one line", make: corpusFile("dashes.yaml", "servers:\n"+strings.Repeat("- ", 200000)+"x\n"),
			at: ":2:199", want: "lists and mappings nested more than 100 deep"},
		{name: "brackets", make: corpusFile("brackets.yaml", "servers: "+strings.Repeat("[", 100000)+"\n"),
			at: ":1:110", want: "brackets nested more than 100 deep"},
		{name: "mappings nested by indentation", make: corpusFile("indent.yaml", nested+srv),
			at: ":101:101", want: "lists and mappings nested more than 100 deep"},
		{name: "keys in one mapping", make: corpusFile("keys.yaml", keys.String()),
			at: ":1002:2", want: "more than 1000 keys in one mapping"},
		{name: "tokens", make: corpusFile("tokens.yaml", "x-a: ["+strings.Repeat("a,", 300000)+"]\n"+srv),
			at: ":1:", want: "more than 250000 YAML tokens"},
		{name: "merge bomb", make: corpusFile("merge.yaml", merge.String()),
			at: ":1:11", want: "aliases and << merges expand this file to more than 250000 keys"},
		{name: "alias of many errors", make: corpusFile("unknown.yaml", unknown.String()),
			at: ":4:", want: "servers[0].bad0: unknown key"},
	}
}

func TestMalformedConfigCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := corpusBinary(t, dir)
	for _, c := range corpusCases() {
		t.Run(c.name, func(t *testing.T) {
			path := c.make(t, t.TempDir())
			for _, args := range [][]string{
				{"config", "validate", path},
				{"check", "--config", path},
			} {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, bin, args...)
				var stdout, stderr strings.Builder
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				cmd.Env = append(os.Environ(), "NO_COLOR=1")
				err := cmd.Run()
				if ctx.Err() != nil {
					t.Fatalf("%v: still running after 10s", args)
				}
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != ExitUsage {
					t.Errorf("%v: %v, want exit 2", args, err)
				}
				out := stderr.String()
				for _, bad := range []string{"panic", "goroutine ", "runtime error", ".go:"} {
					if strings.Contains(out, bad) {
						t.Errorf("%v: stack trace or internals (%q) in stderr:\n%s", args, bad, out)
					}
				}
				if stdout.Len() != 0 {
					t.Errorf("%v: stdout %q, want nothing", args, stdout.String())
				}
				first, _, _ := strings.Cut(out, "\n")
				if c.at != "" {
					if !strings.HasPrefix(first, path+c.at) {
						t.Errorf("%v: first line %q does not start with %s%s", args, first, path, c.at)
					}
				} else if !strings.HasPrefix(first, "mcpwatch") || !strings.Contains(first, path) {
					t.Errorf("%v: first line %q does not name %s", args, first, path)
				}
				if !strings.Contains(first, c.want) {
					t.Errorf("%v: first line %q lacks %q", args, first, c.want)
				}
			}
		})
	}
}
