package cmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mcpwatch/mcpwatch/boundedfile"
	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/config/importer"
	"github.com/mcpwatch/mcpwatch/textsafe"
)

// configCmd holds the commands that work on config files rather than on
// servers.
type configCmd struct {
	Import   configImportCmd   `cmd:"" help:"Turn a LiteLLM config.yaml (mcp_servers) or an .mcp.json (mcpServers) into an mcpwatch config, printed on stdout."`
	Validate configValidateCmd `cmd:"" help:"Check a config file and report every problem with file:line:col; exit 0 when it is valid (warnings allowed), 2 when not."`
}

type configImportCmd struct {
	From   string `required:"" enum:"litellm,mcp-json" placeholder:"FORMAT" help:"Input format: litellm (a LiteLLM proxy config.yaml) or mcp-json (.mcp.json, .cursor/mcp.json, .vscode/mcp.json …)."`
	File   string `arg:"" placeholder:"FILE" help:"The file to import."`
	Output string `short:"o" placeholder:"FILE" help:"Write the config to FILE instead of stdout (atomically: all of it or nothing)."`
	Force  bool   `help:"With -o: replace FILE if it exists."`
}

func (c *configImportCmd) Run(e *env) error {
	fail := func(format string, args ...any) error {
		fmt.Fprintf(e.stderr, "mcpwatch config import: %s\n", textsafe.Line(fmt.Sprintf(format, args...), 0))
		return exitCode(ExitUsage)
	}
	// Read like a config: a regular file, bounded; never a device or a FIFO.
	data, err := boundedfile.Read(c.File, config.MaxFileSize)
	if err != nil {
		msg := readError(c.File, err)
		switch {
		case errors.Is(err, boundedfile.ErrNotRegular):
			msg += "; give the path of the file to import itself (a symlink to one is fine)"
		case errors.Is(err, boundedfile.ErrTooLarge):
			msg += ", the most an imported file may hold; is it the right file?"
		}
		return fail("%s", msg)
	}
	res, err := importer.Import(importer.Format(c.From), c.File, data)
	if err != nil {
		var errs config.Errors
		if !errors.As(err, &errs) {
			return fail("%v", err)
		}
		printProblems(e, errs, nil)
		fmt.Fprintf(e.stderr, "%s in %s; nothing was written.\n", count(len(errs), "problem"), textsafe.Line(c.File, 0))
		return exitCode(ExitUsage)
	}

	outName := "the imported config"
	if c.Output != "" {
		outName = c.Output
		if same, _ := sameFile(c.Output, c.File); same {
			return fail("-o %s is the file being imported; write the mcpwatch config somewhere else", c.Output)
		}
		if err := writeAtomic(c.Output, res.Config, c.Force); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fail("%s exists; pass --force to replace it, or choose another -o", c.Output)
			}
			return fail("write %s: %v", c.Output, err)
		}
	} else if _, err := e.stdout.Write(res.Config); err != nil {
		return fail("write: %v", err)
	}
	// The import loads without errors (the importer checks); warnings,
	// such as credentials over plain http, are the operator's to judge.
	_, warns, _ := config.Parse(outName, res.Config)
	printProblems(e, nil, warns)

	summary := fmt.Sprintf("%s imported from %s", count(res.Imported, "server"), textsafe.Line(c.File, 0))
	if res.Disabled > 0 {
		summary += fmt.Sprintf(", %d disabled until you act on their comments", res.Disabled)
	}
	if res.Omitted > 0 {
		summary += fmt.Sprintf(", %d not imported (see the comments)", res.Omitted)
	}
	if c.Output != "" {
		summary += "; wrote " + textsafe.Line(c.Output, 0)
	}
	fmt.Fprintln(e.stderr, summary+".")
	return nil
}

type configValidateCmd struct {
	File string `arg:"" optional:"" placeholder:"FILE" help:"Config file (default $XDG_CONFIG_HOME/mcpwatch/config.yaml)."`
}

func (c *configValidateCmd) Run(e *env) error {
	path := c.File
	if path == "" {
		path = config.DefaultPath()
	}
	cfg, warns, err := config.Load(path)
	if err != nil {
		var errs config.Errors
		if !errors.As(err, &errs) {
			msg := err.Error()
			if errors.Is(err, fs.ErrNotExist) {
				msg = fmt.Sprintf("no config at %s; give a FILE, or create one (see docs/config.md; 'mcpwatch config import' starts one from a LiteLLM or .mcp.json file)", path)
			}
			fmt.Fprintf(e.stderr, "mcpwatch config validate: %s\n", textsafe.Line(msg, 0))
			return exitCode(ExitUsage)
		}
		printProblems(e, errs, warns)
		fmt.Fprintf(e.stderr, "%s: not valid: %s, %s.\n", textsafe.Line(path, 0), count(len(errs), "error"), count(len(warns), "warning"))
		return exitCode(ExitUsage)
	}
	printProblems(e, nil, warns)
	fmt.Fprintf(e.stdout, "%s: valid: %s, %s.\n", textsafe.Line(path, 0), count(len(cfg.Servers), "server"), count(len(warns), "warning"))
	return nil
}

// printProblems writes errors and warnings to stderr in file order, one a
// line, the way compilers do: "file:line:col: error: path: what; hint".
// Each part passes through textsafe.Line: a key or value quoted from the
// file can neither steer the terminal nor start a line of its own.
func printProblems(e *env, errs config.Errors, warns []config.Warning) {
	type problem struct {
		pos  config.Position
		line string
	}
	var ps []problem
	for _, er := range errs {
		ps = append(ps, problem{er.Pos, formatProblem(er.Pos, "error", er.Path, er.Msg, er.Hint)})
	}
	for _, w := range warns {
		ps = append(ps, problem{w.Pos, formatProblem(w.Pos, "warning", w.Path, w.Msg, "")})
	}
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].pos, ps[j].pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	for _, p := range ps {
		fmt.Fprintln(e.stderr, p.line)
	}
}

func formatProblem(pos config.Position, severity, path, msg, hint string) string {
	var b strings.Builder
	if p := textsafe.Line(pos.String(), 0); p != "" {
		b.WriteString(p + ": ")
	}
	b.WriteString(severity + ": ")
	if path = textsafe.Line(path, 0); path != "" {
		b.WriteString(path + ": ")
	}
	b.WriteString(textsafe.Line(msg, 0))
	if hint = textsafe.Line(hint, 0); hint != "" {
		b.WriteString("; " + hint)
	}
	return b.String()
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// readError drops the PathError's repetition of the path and its "open".
func readError(path string, err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Sprintf("read %s: %v", path, err)
}

func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// writeAtomic writes data to path through a temporary file in the same
// directory, so neither a reader nor a crash ever sees half a config.
// Without force an existing path is left alone and the error wraps
// fs.ErrExist; os.Link refuses an existing name, so checking and creating
// are one step, not a race.
func writeAtomic(path string, data []byte, force bool) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	// After a rename this finds nothing; after a link it drops the
	// temporary name; after a failure it removes the partial file.
	defer os.Remove(tmpName)

	// The config holds references, never secrets, so it is readable like
	// any config; a replaced file keeps its mode.
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil && force {
		mode = fi.Mode().Perm()
	}
	if _, err = tmp.Write(data); err == nil {
		if err = tmp.Chmod(mode); err == nil {
			err = tmp.Sync()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if force {
		err = os.Rename(tmpName, path)
	} else if err = os.Link(tmpName, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", path, fs.ErrExist)
		}
		// A file system without hard links: check, then rename.
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%s: %w", path, fs.ErrExist)
		}
		err = os.Rename(tmpName, path)
	}
	if err != nil {
		return err
	}
	// Make the new name durable too; not every system can sync a directory.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
