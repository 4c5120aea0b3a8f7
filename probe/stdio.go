package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcpwatch/mcpwatch/config"
	"github.com/mcpwatch/mcpwatch/textsafe"
)

// A stdio check starts the server's process, speaks MCP over its stdin and
// stdout, and ends its whole process group before the check returns:
//
//	connect    process start until its pipes are ready
//	handshake  and liveness, as over HTTP (same era logic, same guard)
//	stop       close stdin, wait; SIGTERM the group, wait; SIGKILL the group
//
// mcpwatch starts the process itself, in its own process group, and gives
// mcp-go only the pipes (transport.NewIO): mcp-go's own stdio transport
// signals just the process it started, so the children of a wrapper
// (npx, uvx, a shell script) would outlive every check.

// stdioGrace is how long a stdio server gets to exit after its stdin is
// closed, and again after SIGTERM, unless Checker.StdioGrace says otherwise;
// never longer than the server's timeout.
const stdioGrace = 2 * time.Second

// What a failed check shows of the server's stderr.
const (
	stderrTailBytes = 4 << 10
	stderrTailLines = 20
)

// inheritedEnv is what a stdio server gets from mcpwatch's own environment,
// like the MCP SDKs' default; anything else must be named in env:. The
// secrets of every other server live in mcpwatch's environment, and a
// process has no business seeing them.
var inheritedEnv = []string{"HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "TMPDIR", "TZ"}

func (r *checkRun) stdioStages(ctx context.Context) (err error) {
	sessCtx, cancelSess := context.WithTimeout(ctx, 3*r.srv.Timeout)
	defer cancelSess()

	start := r.c.now()
	p, err := startProcess(&r.srv.Stdio, r.prep.env)
	r.timed(StageConnect, start, err == nil)
	if err != nil {
		return &verdictErr{spawnVerdict(err, &r.srv.Stdio), err}
	}
	defer func() {
		grace := r.c.StdioGrace
		if grace <= 0 {
			grace = min(stdioGrace, r.srv.Timeout)
		}
		p.stop(ctx, grace)
		var v *verdictErr
		if errors.As(err, &v) {
			v.err = withStderr(v.err, p.stderrTail())
		}
	}()

	// No stderr for mcp-go: this package reads it, for the tail.
	var tooLarge atomic.Bool
	out := &boundedBody{rc: p.stdout, max: r.maxMessage(), lines: true, tripped: &tooLarge}
	tr := transport.NewIO(out, p.stdin, nil)
	transport.WithCommandLogger(r.c.logger())(tr) // mcp-go's chatter goes where Checker.Logger says
	judge := &wireJudge{Interface: tr}
	cl := client.NewClient(judge, r.eraOptions()...)
	// Closing the client closes stdin, the first step of p.stop. It runs
	// only after a failure is classified: a server that exits on EOF must
	// not read as one that died by itself.
	defer cl.Close()

	hstart := r.c.now()
	sctx, cancel := r.stageCtx(sessCtx)
	init, err := r.stdioHandshake(sessCtx, sctx, cl)
	cancel()
	lie := judge.firstLie()
	r.timed(StageHandshake, hstart, err == nil && lie == nil && !tooLarge.Load())
	if tooLarge.Load() {
		return &verdictErr{tooLargeVerdict(StageHandshake, out.max), err}
	}
	if lie != nil {
		return &verdictErr{*lie, errors.Join(errors.New(lie.Message), err)}
	}
	if err != nil {
		return r.stdioFailure(StageHandshake, err, p)
	}
	if err := r.livenessStage(sessCtx, cl, init, config.TransportStdio); err != nil {
		if tooLarge.Load() {
			return &verdictErr{tooLargeVerdict(StageLiveness, out.max), err}
		}
		if lie := judge.firstLie(); lie != nil {
			lie.Stage = StageLiveness
			return &verdictErr{*lie, err}
		}
		return r.stdioFailure(StageLiveness, err, p)
	}
	return nil
}

func (r *checkRun) stdioHandshake(sessCtx, stageCtx context.Context, cl *client.Client) (*mcp.InitializeResult, error) {
	if err := cl.Start(sessCtx); err != nil {
		return nil, err
	}
	return cl.Initialize(stageCtx, r.initializeRequest())
}

// stdioFailure names a failed handshake or liveness stage. A server whose
// process died says more with its exit status than with "transport closed".
func (r *checkRun) stdioFailure(stage Stage, err error, p *process) error {
	if errors.Is(err, transport.ErrTransportClosed) || errors.Is(err, syscall.EPIPE) {
		// A closed pipe means the process is on its way out: its exit
		// status, once reaped, says more.
		p.waitExit(context.Background(), time.Second)
	}
	if status := p.exitStatus(); status != "" {
		v := verdict{Status: StatusUnhealthy, Stage: stage, Class: "process.exited",
			Message: fmt.Sprintf("server process exited (%s) during the %s", status, stage)}
		return &verdictErr{v, fmt.Errorf("server process exited (%s): %w", status, err)}
	}
	return &verdictErr{classify(stage, err, exchange{}, true, r.srv.Timeout), err}
}

// spawnVerdict names why a process could not be started.
func spawnVerdict(err error, st *config.Stdio) verdict {
	v := verdict{Status: StatusUnhealthy, Stage: StageConnect, Class: "connect.spawn"}
	var pe *fs.PathError
	switch {
	case errors.Is(err, exec.ErrNotFound):
		v.Message = fmt.Sprintf("command %q not found in PATH", st.Command)
	case errors.Is(err, exec.ErrDot):
		v.Message = fmt.Sprintf("command %q resolves to the current directory; write ./%s to mean it", st.Command, st.Command)
	case errors.As(err, &pe) && pe.Op == "chdir":
		v.Message = fmt.Sprintf("working directory %s: %v", st.Cwd, pe.Err)
	case errors.Is(err, fs.ErrNotExist):
		v.Message = fmt.Sprintf("command %s does not exist (or the interpreter its #! line names does not)", st.Command)
	case errors.Is(err, fs.ErrPermission):
		v.Message = fmt.Sprintf("command %s is not executable (permission denied)", st.Command)
	case errors.Is(err, syscall.ENOEXEC):
		v.Message = fmt.Sprintf("command %s is not a program (exec format error; a script needs a #! line)", st.Command)
	default:
		v.Message = "could not start " + st.Command + ": " + firstLine(err.Error())
	}
	return v
}

// process is one running stdio server: the leader of its own process group.
type process struct {
	cmd    *exec.Cmd
	stdin  *os.File // our ends of its pipes
	stdout *os.File
	stderr *os.File
	tail   *tailBuffer

	drained chan struct{} // the stderr reader has finished
	exited  chan struct{} // the leader has exited and been reaped; state is set
	state   *os.ProcessState

	mu     sync.Mutex
	reaped bool // once set, the group id may belong to someone else: signal no more
}

func startProcess(st *config.Stdio, env []string) (*process, error) {
	if st.Cwd != "" {
		// os.StartProcess checks the directory only without SysProcAttr;
		// with it, a missing directory reads as a missing command.
		if fi, err := os.Stat(st.Cwd); err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, &fs.PathError{Op: "chdir", Path: st.Cwd, Err: err}
		} else if !fi.IsDir() {
			return nil, &fs.PathError{Op: "chdir", Path: st.Cwd, Err: syscall.ENOTDIR}
		}
	}
	cmd := exec.Command(st.Command, st.Args...)
	cmd.Env = processEnv(env)
	cmd.Dir = st.Cwd
	ownGroup(cmd)
	// Our own pipes rather than cmd.StdoutPipe: Wait would close those as
	// soon as the leader exits, dropping what it wrote last, and it is the
	// caller that decides when reading ends.
	var files []*os.File
	closeAll := func(fs ...*os.File) {
		for _, f := range fs {
			_ = f.Close()
		}
	}
	for range 3 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(files...)
			return nil, err
		}
		files = append(files, r, w)
	}
	inR, inW, outR, outW, errR, errW := files[0], files[1], files[2], files[3], files[4], files[5]
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	err := cmd.Start()
	closeAll(inR, outW, errW) // the child has its own copies; ours would hold the pipes open
	if err != nil {
		closeAll(inW, outR, errR)
		return nil, err
	}
	p := &process{cmd: cmd, stdin: inW, stdout: outR, stderr: errR, tail: &tailBuffer{max: stderrTailBytes},
		drained: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(p.drained)
		_, _ = io.Copy(p.tail, p.stderr)
	}()
	go p.watch()
	return p, nil
}

// processEnv is the inherited few variables, then the configured ones,
// which win (os/exec keeps the last value of a duplicate key).
func processEnv(configured []string) []string {
	env := make([]string, 0, len(inheritedEnv)+len(configured))
	for _, k := range inheritedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return append(env, configured...)
}

// watch reaps the leader. Whatever the leader leaves behind in its group is
// killed as it exits: those are helpers of a server that is gone.
func (p *process) watch() {
	if waitExitNoReap(p.cmd.Process.Pid) == nil {
		// The leader is a zombie now, so its pid, which is the group id,
		// cannot be reused until the Wait below: the kill hits only the group.
		p.mu.Lock()
		signalGroup(p.cmd, syscall.SIGKILL)
		p.reaped = true
		p.mu.Unlock()
		_ = p.cmd.Wait()
	} else {
		// Without waitid(WNOWAIT) the group is killed just after the reap,
		// a window in which a new process would have to take the same id.
		_ = p.cmd.Wait()
		p.mu.Lock()
		signalGroup(p.cmd, syscall.SIGKILL)
		p.reaped = true
		p.mu.Unlock()
	}
	p.state = p.cmd.ProcessState
	close(p.exited)
}

func (p *process) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.reaped {
		signalGroup(p.cmd, sig)
	}
}

// waitExit waits up to d for the leader to exit. Once ctx is done (mcpwatch
// is shutting down) no step waits longer than a moment.
func (p *process) waitExit(ctx context.Context, d time.Duration) bool {
	if ctx.Err() != nil {
		d = min(d, 100*time.Millisecond)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.exited:
		return true
	case <-t.C:
	case <-ctx.Done():
		return p.waitExit(context.Background(), min(d, 100*time.Millisecond))
	}
	return false
}

// exitStatus is "exit status 1", "signal: killed" …, or "" while it runs.
func (p *process) exitStatus() string {
	select {
	case <-p.exited:
		return p.state.String()
	default:
		return ""
	}
}

// stop ends the whole process group and reaps the leader; it returns when
// the leader is reaped and the pipes are closed.
func (p *process) stop(ctx context.Context, grace time.Duration) {
	_ = p.stdin.Close() // EOF on stdin: the MCP way to ask a stdio server to exit
	if !p.waitExit(ctx, grace) {
		p.signal(syscall.SIGTERM)
		if !p.waitExit(ctx, grace) {
			p.signal(syscall.SIGKILL)
			<-p.exited // SIGKILL cannot be ignored
		}
	}
	// The group is dead, so stderr reaches EOF unless a process left the
	// group with the pipe: take the last lines, but do not wait for it.
	select {
	case <-p.drained:
	case <-time.After(100 * time.Millisecond):
	}
	_ = p.stdout.Close() // also ends mcp-go's reader
	_ = p.stderr.Close()
	<-p.drained
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
	cut bool // older output was dropped
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(b)
	if len(b) > t.max {
		b, t.cut = b[len(b)-t.max:], true
	}
	if over := len(t.buf) + len(b) - t.max; over > 0 {
		t.buf, t.cut = append(t.buf[:0], t.buf[over:]...), true
	}
	t.buf = append(t.buf, b...)
	return n, nil
}

// stderrTail is the last lines of the server's stderr, made safe to show:
// valid UTF-8, no escape sequences or other control characters, and a
// progress line shown as its last state. Secrets are scrubbed with the
// rest of the result.
func (p *process) stderrTail() string {
	p.tail.mu.Lock()
	text, cut := string(p.tail.buf), p.tail.cut
	p.tail.mu.Unlock()
	text = strings.ToValidUTF8(text, "\uFFFD")
	if i := strings.IndexByte(text, '\n'); cut && i >= 0 {
		text = text[i+1:] // the first line was cut in the middle
	}
	lines := strings.Split(strings.TrimRight(text, "\r\n"), "\n")
	lines = lines[max(0, len(lines)-stderrTailLines):]
	for i, l := range lines {
		l = strings.TrimRight(l, "\r")
		if j := strings.LastIndexByte(l, '\r'); j >= 0 {
			l = l[j+1:]
		}
		lines[i] = printable(l)
	}
	return strings.Join(lines, "\n")
}

// printable is one stderr line as it may be shown: the one sanitizer of
// text from outside (whole escape sequences, C0/C1 and bidi controls gone);
// tabs survive as the single space they stand for.
func printable(s string) string { return textsafe.Text(s) }

// withStderr adds the tail of the server's stderr to a failure's detail.
func withStderr(err error, tail string) error {
	if strings.TrimSpace(tail) == "" {
		return err
	}
	return &stderrError{err: err, tail: tail}
}

type stderrError struct {
	err  error
	tail string
}

func (e *stderrError) Error() string {
	head := "stderr, last line:"
	if n := strings.Count(e.tail, "\n") + 1; n > 1 {
		head = fmt.Sprintf("stderr, last %d lines:", n)
	}
	return fmt.Sprintf("%v\n%s\n  %s", e.err, head, strings.ReplaceAll(e.tail, "\n", "\n  "))
}

func (e *stderrError) Unwrap() error { return e.err }
