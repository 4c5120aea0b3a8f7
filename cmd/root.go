// Package cmd is the command line: it parses flags and wires config, probe and
// outputs together. No other package knows about flags or exit codes.
package cmd

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/alecthomas/kong"

	"github.com/mcpwatch/mcpwatch/textsafe"
)

// Exit codes shared by every command.
const (
	ExitOK      = 0 // every checked server healthy or degraded
	ExitFailing = 1 // a server is unhealthy or has an auth error
	ExitUsage   = 2 // bad flags or a bad config file
)

// cli is the whole command line. kong was chosen for flag parsing because the
// grammar lives in struct tags next to the fields it fills, it prints
// readable help, and it reports errors we can map to exit code 2.
type cli struct {
	Dashboard dashboardCmd `cmd:"" default:"withargs" help:"Open the live dashboard over the configured servers (the default)."`
	Demo      demoCmd      `cmd:"" help:"Start an embedded fleet of MCP servers on loopback and open the dashboard on it."`
	Check     checkCmd     `cmd:"" help:"Check every configured server (or one URL) once, print the verdicts, exit 0/1/2."`
	Serve     serveCmd     `cmd:"" help:"Serve the dashboard over SSH to many viewers of one probe pool, and/or Prometheus metrics (headless)."`
	History   historyCmd   `cmd:"" help:"Print the events kept in the state dir, newest first, and each server's uptime over 1h, 24h and 7d."`
	Pin       pinCmd       `cmd:"" help:"Accept the servers' current tools, prompts and resources as their pinned inventory (clears inventory.changed)."`
	Config    configCmd    `cmd:"" help:"Import a LiteLLM or .mcp.json server list as an mcpwatch config, or validate a config file."`
	Version   versionCmd   `cmd:"" help:"Print the mcpwatch version."`
}

// env is what commands need from the outside world; tests substitute it.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// exitCode carries a command's exit status out of kong's Run.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// Main runs mcpwatch with args (without the program name) and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	defer startProfiles(osGetenv, stderr)()
	return run(args, &env{stdout: stdout, stderr: stderr, getenv: osGetenv})
}

func run(args []string, e *env) (code int) {
	// Everything mcpwatch writes to stderr — errors, usage errors, warnings,
	// the logs of check -v and serve — goes through the one sanitizer: text
	// from servers, config files, flags and the environment cannot carry an
	// escape sequence, C1 or bidi control to the terminal. Messages that echo
	// such text also pass it through textsafe.Line, so it stays on its line.
	safe := *e
	safe.stderr = textsafe.NewWriter(e.stderr)
	e = &safe
	var c cli
	exited := false
	parser, err := kong.New(&c,
		kong.Name("mcpwatch"),
		kong.Description("Health-check MCP servers, OAuth2 client-credentials ones included."),
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(func(int) { exited = true }),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Vars{"version": version()},
	)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpwatch: internal error: %v\n", err)
		return ExitUsage
	}
	kctx, err := parser.Parse(args)
	if exited { // --help was printed
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpwatch: %s\nRun 'mcpwatch --help' for usage.\n", textsafe.Line(err.Error(), 0))
		return ExitUsage
	}
	err = kctx.Run(e)
	var ec exitCode
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ec):
		return int(ec)
	default:
		fmt.Fprintf(e.stderr, "mcpwatch: %s\n", textsafe.Line(err.Error(), 0))
		return ExitUsage
	}
}

type versionCmd struct{}

func (versionCmd) Run(e *env) error {
	fmt.Fprintln(e.stdout, "mcpwatch", version())
	return nil
}

// releaseVersion is set by release builds (.goreleaser.yaml passes
// -X github.com/mcpwatch/mcpwatch/cmd.releaseVersion=…): a binary built from
// a checkout has no module version of its own.
var releaseVersion string

// version is the release's version, else the module version when built from
// a tagged module (go install …@v1.2.3), else "dev".
func version() string {
	if releaseVersion != "" {
		return releaseVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
