package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/config"
)

const importerTestdata = "../config/importer/testdata"

func TestConfigImportToStdout(t *testing.T) {
	for _, tc := range []struct{ from, file, golden string }{
		{"litellm", "litellm_auth.yaml", "litellm_auth.golden"},
		{"mcp-json", "claude_code.mcp.json", "claude_code.mcp.golden"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			// From the importer's directory, so the source path in the
			// comments is the one the golden files were made with.
			t.Chdir(filepath.Dir(importerTestdata))
			in := filepath.Join("testdata", tc.file)
			code, stdout, stderr := runCLI(t, "config", "import", "--from", tc.from, in)
			if code != ExitOK {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			// The golden files were made with the path testdata/<file>.
			want, err := os.ReadFile(filepath.Join("testdata", tc.golden))
			if err != nil {
				t.Fatal(err)
			}
			if stdout != string(want) {
				t.Errorf("stdout differs from %s:\n%s", tc.golden, stdout)
			}
			if _, _, err := config.Parse("stdout", []byte(stdout)); err != nil {
				t.Errorf("stdout does not load: %v", err)
			}
			if !strings.Contains(stderr, "servers imported from "+in) {
				t.Errorf("no summary on stderr: %q", stderr)
			}
		})
	}
}

func TestConfigImportErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"mcpServers\": {\n    \"a\": {\"url\": \"https://a.example.com\",}\n  }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"malformed input", []string{"--from", "mcp-json", bad}, bad + ":3:42: error: invalid JSON"},
		{"wrong format for the file", []string{"--from", "litellm", bad}, bad + ": error: no mcp_servers: section; this looks like an mcpServers file; use --from mcp-json"},
		{"missing file", []string{"--from", "litellm", filepath.Join(dir, "nope.yaml")}, "read " + filepath.Join(dir, "nope.yaml") + ": no such file or directory"},
		{"unknown format", []string{"--from", "toml", bad}, "--from must be one of"},
		{"no format", []string{bad}, "missing flags: --from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"config", "import"}, tc.args...)...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if stdout != "" {
				t.Errorf("output on stdout after an error (must be all or nothing):\n%s", stdout)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
		})
	}
	code, _, stderr := runCLI(t, "config", "import", "--from", "mcp-json", bad)
	if code != ExitUsage || !strings.Contains(stderr, "trailing comma") || !strings.Contains(stderr, "nothing was written") {
		t.Errorf("a malformed file must say how to fix it: %s", stderr)
	}
}

func TestConfigImportOutputFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(importerTestdata, "litellm_m2m.yaml")
	out := filepath.Join(dir, "mcpwatch.yaml")
	_, want, _ := runCLI(t, "config", "import", "--from", "litellm", in)

	code, stdout, stderr := runCLI(t, "config", "import", "--from", "litellm", "-o", out, in)
	if code != ExitOK || stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	got, err := os.ReadFile(out)
	if err != nil || string(got) != want {
		t.Fatalf("-o wrote %q (err %v), want what stdout gets", got, err)
	}
	if !strings.Contains(stderr, "wrote "+out) {
		t.Errorf("stderr does not say where it wrote: %s", stderr)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode %v, want 0644 (it holds references, not secrets)", fi.Mode().Perm())
	}

	// An existing file is not replaced without --force, and not touched.
	if err := os.WriteFile(out, []byte("servers: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(out, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "config", "import", "--from", "litellm", "-o", out, in)
	if code != ExitUsage || !strings.Contains(stderr, "exists; pass --force") {
		t.Errorf("overwrite without --force: exit %d, stderr %s", code, stderr)
	}
	if got, _ := os.ReadFile(out); string(got) != "servers: []\n" {
		t.Errorf("the existing file changed: %q", got)
	}
	code, _, stderr = runCLI(t, "config", "import", "--from", "litellm", "-o", out, "--force", in)
	if code != ExitOK {
		t.Fatalf("--force: exit %d, stderr %s", code, stderr)
	}
	if got, _ := os.ReadFile(out); string(got) != want {
		t.Error("--force did not replace the file")
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("a replaced file keeps its mode: got %v, want 0600", fi.Mode().Perm())
	}

	// The file being imported is never the output, --force or not.
	src := filepath.Join(dir, "litellm.yaml")
	data, _ := os.ReadFile(in)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "config", "import", "--from", "litellm", "-o", src, "--force", src)
	if code != ExitUsage || !strings.Contains(stderr, "is the file being imported") {
		t.Errorf("-o onto the input: exit %d, stderr %s", code, stderr)
	}
	if got, _ := os.ReadFile(src); string(got) != string(data) {
		t.Error("the input was overwritten")
	}

	// A failed import writes nothing.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("mcp_servers: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	never := filepath.Join(dir, "never.yaml")
	if code, _, _ := runCLI(t, "config", "import", "--from", "litellm", "-o", never, bad); code != ExitUsage {
		t.Errorf("bad input: exit %d", code)
	}
	if _, err := os.Stat(never); !os.IsNotExist(err) {
		t.Error("a failed import created the output file")
	}
	// No temporary file is left behind by any of the above.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	if code, _, stderr := runCLI(t, "config", "import", "--from", "litellm", "-o", filepath.Join(dir, "no", "such", "dir.yaml"), in); code != ExitUsage || !strings.Contains(stderr, "write ") {
		t.Errorf("-o into a missing directory: exit %d, %s", code, stderr)
	}
}

func TestConfigValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	valid := write("valid.yaml", "servers:\n  - name: a\n    url: https://a.example.com/mcp\n")
	warned := write("warned.yaml", "servers:\n  - name: a\n    url: https://a.example.com/mcp\n    auth: {type: bearer, token: s3cr3t}\n")
	invalid := write("invalid.yaml", "servers:\n  - name: a\n    url: ftp://a\n    auth: {type: bearer, token: s3cr3t}\n  - name: a\n    url: https://b.example.com\n    transport: websocket\n")

	code, stdout, stderr := runCLI(t, "config", "validate", valid)
	if code != ExitOK || stdout != valid+": valid: 1 server, 0 warnings.\n" || stderr != "" {
		t.Errorf("valid: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	code, stdout, stderr = runCLI(t, "config", "validate", warned)
	if code != ExitOK || !strings.Contains(stdout, "valid: 1 server, 1 warning.") ||
		!strings.Contains(stderr, warned+":4:33: warning: servers[0].auth.token: literal secret") {
		t.Errorf("warnings: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	code, stdout, stderr = runCLI(t, "config", "validate", invalid)
	if code != ExitUsage || stdout != "" {
		t.Errorf("invalid: exit %d, stdout %q", code, stdout)
	}
	// Every problem, in file order, errors and warnings together.
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	wantPrefixes := []string{
		invalid + ":3:10: error: servers[0].url:",
		invalid + ":4:33: warning: servers[0].auth.token: literal secret",
		invalid + ":5:11: error: servers[1].name: duplicate name",
		invalid + ":7:16: error: servers[1].transport: unknown value",
		invalid + ": not valid: 3 errors, 1 warning.",
	}
	if len(lines) != len(wantPrefixes) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(wantPrefixes), stderr)
	}
	for i, w := range wantPrefixes {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i+1, lines[i], w)
		}
	}

	code, _, stderr = runCLI(t, "config", "validate", filepath.Join(dir, "missing.yaml"))
	if code != ExitUsage || !strings.Contains(stderr, "no config at "+filepath.Join(dir, "missing.yaml")) {
		t.Errorf("missing file: exit %d, %s", code, stderr)
	}
}

func TestConfigValidateDefaultPath(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", xdg)
	path := filepath.Join(xdg, "mcpwatch", "config.yaml")
	code, _, stderr := runCLI(t, "config", "validate")
	if code != ExitUsage || !strings.Contains(stderr, "no config at "+path) {
		t.Errorf("no default config: exit %d, %s", code, stderr)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	// An import goes straight to the default place and validates there.
	if code, _, stderr := runCLI(t, "config", "import", "--from", "mcp-json", "-o", path, filepath.Join(importerTestdata, "cursor.mcp.json")); code != ExitOK {
		t.Fatalf("import: exit %d, %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, "config", "validate")
	if code != ExitOK || stdout != path+": valid: 4 servers, 0 warnings.\n" {
		t.Errorf("default path: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
