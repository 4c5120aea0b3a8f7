package tui

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// -update rewrites tui/testdata/*.golden from the current output. teatest's
// golden package registers the flag too; the goldens here share it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite testdata/*.golden from the current output")
	}
}

func updating() bool { return flag.Lookup("update").Value.String() == "true" }

// downsample renders content as a terminal with profile p would receive it.
func downsample(t *testing.T, content string, p colorprofile.Profile) string {
	t.Helper()
	var buf bytes.Buffer
	w := &colorprofile.Writer{Forward: &buf, Profile: p}
	if _, err := w.WriteString(content); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (rerun with -update if the change is intended)\n--- got:\n%s\n--- want:\n%s", t.Name(), path, got, want)
	}
}

// views are the screens the goldens pin, each reached by keys from the
// table with the cursor on the first row.
var views = []struct {
	name    string
	keys    []string
	history bool // with a state store's timeline
}{
	{"table", nil, false},
	{"detail", []string{"enter"}, false},
	{"detail-token", []string{"G", "k", "k", "k", "k", "enter"}, false}, // github-tools, fifth from the bottom
	{"detail-warning", []string{"j", "j", "j", "j", "enter"}, true},     // crm: healthy, its token refresh failing
	{"help", []string{"?"}, false},
	{"filter", []string{"/", "f", "i", "n"}, false},
	{"failing", []string{"f", "j"}, false},
	{"events", []string{"e"}, true},
	{"events-off", []string{"e"}, false},
	{"events-filter", []string{"e", "/", "c", "r", "m", "enter"}, true},
	{"paused", []string{"p"}, false},
}

func TestGolden(t *testing.T) {
	sizes := []struct{ w, h int }{{80, 24}, {120, 40}}
	for _, v := range views {
		for _, sz := range sizes {
			name := v.name + "-" + itoa(sz.w) + "x" + itoa(sz.h)
			t.Run(name, func(t *testing.T) {
				var opts Options
				if v.history {
					opts.History = timeline()
				}
				m := keys(newModelWith(newFake(fleet()), sz.w, sz.h, opts), v.keys...)
				content, _ := m.render()
				golden(t, name, downsample(t, content, colorprofile.NoTTY))
			})
		}
	}
}

// TestGoldenASCII pins the glyph fallback for non-UTF-8 locales.
func TestGoldenASCII(t *testing.T) {
	for _, v := range []string{"table", "help"} {
		t.Run(v, func(t *testing.T) {
			m := New(newFake(fleet()), Options{Color: "never", ASCII: true, Now: func() time.Time { return now }})
			m = update(m, tea.WindowSizeMsg{Width: 80, Height: 24})
			if v == "help" {
				m = keys(m, "?")
			}
			content, _ := m.render()
			got := downsample(t, content, colorprofile.NoTTY)
			for i, r := range got {
				if r > 0x7e || (r < 0x20 && r != '\n') {
					t.Fatalf("non-ASCII %q at byte %d in ASCII mode", r, i)
				}
			}
			golden(t, "ascii-"+v+"-80x24", got)
		})
	}
}

// TestGoldenANSI256 pins colours as a 256-colour terminal (the usual case
// over SSH) receives them, on a dark and on a light background.
func TestGoldenANSI256(t *testing.T) {
	for _, dark := range []bool{true, false} {
		name := "ansi256-dark-80x24"
		if !dark {
			name = "ansi256-light-80x24"
		}
		t.Run(name, func(t *testing.T) {
			m := New(newFake(fleet()), Options{Color: "auto", Now: func() time.Time { return now }})
			m = update(m, tea.WindowSizeMsg{Width: 80, Height: 24}, bg(dark))
			content, _ := m.render()
			got := downsample(t, content, colorprofile.ANSI256)
			if !strings.Contains(got, "\x1b[38;5;") {
				t.Fatalf("no 256-colour sequences in %q", got)
			}
			if strings.Contains(got, "\x1b[38;2;") {
				t.Fatalf("true-colour sequence left after downsampling to 256 colours")
			}
			golden(t, name, got)
			plain, _ := newModel(newFake(fleet()), 80, 24).render()
			if ansi.Strip(got) != ansi.Strip(plain) {
				t.Errorf("colour changed the text, not just its colour:\n%s\n---\n%s", ansi.Strip(got), ansi.Strip(plain))
			}
		})
	}
}

// TestGoldenWide pins the layout of wide terminals, where the reason has a
// column of its own beside every measurement.
func TestGoldenWide(t *testing.T) {
	m := newModelWith(newFake(fleet()), 200, 30, Options{History: timeline()})
	content, _ := m.render()
	golden(t, "table-200x30", downsample(t, content, colorprofile.NoTTY))
}
