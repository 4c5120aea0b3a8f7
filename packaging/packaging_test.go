// Package packaging_test checks the files releases ship beside the binary:
// the systemd unit (packaging/mcpwatch.service) and the .deb's maintainer
// scripts, against the docs that quote them, the release config that
// packages them and the command line they run. .ci/release.sh builds the
// packages themselves and looks inside them.
package packaging_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mcpwatch/mcpwatch/cmd"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSSHDocQuotesTheUnit: docs/ssh.md shows the unit the .deb installs,
// verbatim, so the two cannot drift apart.
func TestSSHDocQuotesTheUnit(t *testing.T) {
	unit := read(t, "mcpwatch.service")
	if !strings.Contains(read(t, "../docs/ssh.md"), "```ini\n"+unit+"```") {
		t.Error("docs/ssh.md does not quote packaging/mcpwatch.service verbatim in an ini block")
	}
}

// execStart is the unit's ExecStart command line, continuation lines joined.
func execStart(t *testing.T, unit string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^ExecStart=((?:.*\\\n)*.*)$`).FindStringSubmatch(unit)
	if m == nil {
		t.Fatal("the unit has no ExecStart")
	}
	return strings.Fields(strings.ReplaceAll(m[1], "\\\n", " "))
}

// TestUnitRunsAValidServe: the flags the unit passes are flags `mcpwatch
// serve` takes, with values it accepts: run with the config path swapped
// for one that does not exist, serve gets as far as loading the config.
func TestUnitRunsAValidServe(t *testing.T) {
	args := execStart(t, read(t, "mcpwatch.service"))
	if args[0] != "/usr/bin/mcpwatch" || args[1] != "serve" {
		t.Fatalf("ExecStart runs %v, want /usr/bin/mcpwatch (where the .deb puts it) serve", args[:2])
	}
	missing := filepath.Join(t.TempDir(), "no-config.yaml")
	args = args[1:]
	swapped := false
	for i := range args {
		if args[i] == "--config" && i+1 < len(args) {
			if args[i+1] != "/etc/mcpwatch/config.yaml" {
				t.Errorf("the unit reads %s; docs/ssh.md installs /etc/mcpwatch/config.yaml", args[i+1])
			}
			args[i+1], swapped = missing, true
		}
	}
	if !swapped {
		t.Fatal("the unit passes no --config")
	}
	var stdout, stderr bytes.Buffer
	code := cmd.Main(args, &stdout, &stderr)
	if code != cmd.ExitUsage || !strings.Contains(stderr.String(), "no config at "+missing) {
		t.Errorf("mcpwatch %s: exit %d, %q; want exit 2 at loading the (missing) config, past every flag",
			strings.Join(args, " "), code, stderr.String())
	}
}

// TestReleaseConfigPackagesTheseFiles: .goreleaser.yaml puts the unit in
// the .deb, runs these maintainer scripts, and builds static binaries for
// linux amd64 and arm64.
func TestReleaseConfigPackagesTheseFiles(t *testing.T) {
	cfg := read(t, "../.goreleaser.yaml")
	for _, want := range []string{
		"version: 2",
		"- CGO_ENABLED=0",
		"goos: [linux]",
		"goarch: [amd64, arm64]",
		"formats: [deb]",
		"- src: packaging/mcpwatch.service\n        dst: /usr/lib/systemd/system/mcpwatch.service",
		"postinstall: packaging/deb/postinst",
		"preremove: packaging/deb/prerm",
		"postremove: packaging/deb/postrm",
		"algorithm: sha256",
	} {
		if !strings.Contains(cfg, want) {
			t.Errorf(".goreleaser.yaml lacks %q", want)
		}
	}
	for _, script := range []string{"deb/postinst", "deb/prerm", "deb/postrm"} {
		fi, err := os.Stat(script)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable (nfpm keeps the mode)", script)
		}
		if out, err := exec.Command("sh", "-n", script).CombinedOutput(); err != nil {
			t.Errorf("%s does not parse: %v\n%s", script, err, out)
		}
	}
}

// TestPostinstCreatesWhatTheUnitNeeds: the unit runs as mcpwatch and reads
// /etc/mcpwatch; postinst creates both, and never resets a directory an
// administrator already has.
func TestPostinstCreatesWhatTheUnitNeeds(t *testing.T) {
	unit, post := read(t, "mcpwatch.service"), read(t, "deb/postinst")
	if !strings.Contains(unit, "\nUser=mcpwatch\n") || !strings.Contains(post, "useradd --system --user-group") {
		t.Error("the unit's user is not the one postinst creates")
	}
	for _, dir := range []string{"/etc/mcpwatch", "/etc/mcpwatch/ssh"} {
		if !strings.Contains(post, dir) {
			t.Errorf("postinst does not create %s", dir)
		}
	}
	if !strings.Contains(post, `[ -d "$dir" ] ||`) {
		t.Error("postinst would reset the mode of existing directories")
	}
}

// TestUnitVerifies runs systemd-analyze verify where systemd is installed.
func TestUnitVerifies(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	unit := filepath.Join(dir, "mcpwatch.service")
	// verify wants the binary ExecStart names to exist; point it at one that does.
	body := strings.Replace(read(t, "mcpwatch.service"), "ExecStart=/usr/bin/mcpwatch", "ExecStart=/bin/true", 1)
	if err := os.WriteFile(unit, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", unit).CombinedOutput()
	if err != nil || strings.Contains(string(out), "mcpwatch.service:") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestPostinstRuns runs the real postinst with useradd, getent, install and
// systemctl replaced by stubs that record their arguments: a first install
// creates the user and the directories; a reinstall with the user present
// does not create it again.
func TestPostinstRuns(t *testing.T) {
	for _, d := range []string{"/etc/mcpwatch", "/etc/mcpwatch/ssh"} {
		if _, err := os.Stat(d); err == nil {
			t.Skipf("%s exists on this machine; postinst would (rightly) leave it alone", d)
		}
	}
	for _, tc := range []struct {
		name       string
		userExists bool
		want       []string
		dont       []string
	}{
		{"first install", false, []string{
			"useradd --system --user-group --home-dir /var/lib/mcpwatch --no-create-home --shell /usr/sbin/nologin mcpwatch",
			"install -d -o root -g mcpwatch -m 0750 /etc/mcpwatch",
			"install -d -o root -g mcpwatch -m 0750 /etc/mcpwatch/ssh",
		}, nil},
		{"user already there", true, []string{"install -d -o root -g mcpwatch -m 0750 /etc/mcpwatch"}, []string{"useradd"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := t.TempDir()
			calls := filepath.Join(bin, "calls")
			getent := "exit 2"
			if tc.userExists {
				getent = "echo mcpwatch:x:999:999::/var/lib/mcpwatch:/usr/sbin/nologin"
			}
			for name, body := range map[string]string{
				"useradd": "", "install": "", "systemctl": "", "getent": getent,
			} {
				script := "#!/bin/sh\necho \"" + name + " $*\" >> " + calls + "\n" + body + "\n"
				if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			c := exec.Command("/bin/sh", "deb/postinst", "configure", "")
			c.Env = []string{"PATH=" + bin}
			if out, err := c.CombinedOutput(); err != nil {
				t.Fatalf("postinst configure: %v\n%s", err, out)
			}
			got := read(t, calls)
			for _, w := range tc.want {
				if !strings.Contains(got, w+"\n") {
					t.Errorf("postinst did not run %q; it ran:\n%s", w, got)
				}
			}
			for _, d := range tc.dont {
				if strings.Contains(got, d) {
					t.Errorf("postinst ran %s; it ran:\n%s", d, got)
				}
			}
		})
	}
}
