// Package boundedfile reads the small files an operator names — config
// files, secret files, private keys — in the one way that a wrong or hostile
// path cannot turn against the process: regular files only (a symlink to one
// is fine), never blocking on a FIFO, never reading past a limit.
//
// A path like /dev/zero, a named pipe or a 50 MB log given where a config or
// a token file belongs used to cost gigabytes of memory or hang forever. Here
// it costs one error that says what the path is.
package boundedfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
)

var (
	// ErrNotRegular is matched (errors.Is) by the error for a directory,
	// device, named pipe, socket or anything else that is not a regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge is matched by the error for a file over the limit.
	ErrTooLarge = errors.New("file too large")
)

// Read returns the contents of the regular file at path, which must hold at
// most limit bytes.
//
// What is not a regular file is refused before it is opened, so opening
// cannot block (a FIFO) or act (a device). The file is opened non-blocking
// and checked again once open, so a FIFO swapped in between the check and
// the open is refused too. At most limit+1 bytes are read, whatever the file
// claims its size is (files under /proc say 0).
//
// Errors are *fs.PathError, so callers that drop the path keep a cause that
// reads well after the path: "is a named pipe (FIFO), not a regular file",
// "is larger than 64 KiB (it is 2 MiB)". A missing file wraps fs.ErrNotExist
// and reads as os.ReadFile's does ("open PATH: no such file or directory").
func Read(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			// As os.ReadFile would word it: the caller asked to read.
			return nil, &fs.PathError{Op: "open", Path: path, Err: pe.Err}
		}
		return nil, err
	}
	if err := check(path, st, limit); err != nil {
		return nil, err
	}
	beforeOpen()
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err = f.Stat()
	if err != nil {
		return nil, err
	}
	if err := check(path, st, limit); err != nil {
		return nil, err
	}
	// Sized from Stat when that is plausible, then read to one byte past
	// the limit: a file that grew, or lied about its size, is still caught.
	buf := make([]byte, 0, min(st.Size(), limit)+1)
	for {
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, &fs.PathError{Op: "read", Path: path, Err: &tooLargeError{size: -1, limit: limit}}
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow, up to limit+1 in all
			if int64(cap(buf)) > limit+1 {
				buf = buf[: len(buf) : limit+1]
			}
		}
	}
}

// ReadContext is Read bounded by ctx as well: it returns when ctx ends even
// if the read itself hangs (a network file system that stopped answering).
// The abandoned read finishes in the background; it is bounded by limit.
func ReadContext(ctx context.Context, path string, limit int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, &fs.PathError{Op: "read", Path: path, Err: err}
	}
	if ctx.Done() == nil {
		return Read(path, limit)
	}
	type result struct {
		data []byte
		err  error
	}
	ch := make(chan result, 1) // buffered: an abandoned read must not block
	go func() {
		data, err := Read(path, limit)
		ch <- result{data, err}
	}()
	select {
	case r := <-ch:
		return r.data, r.err
	case <-ctx.Done():
		return nil, &fs.PathError{Op: "read", Path: path, Err: ctx.Err()}
	}
}

// beforeOpen lets tests act between the check and the open.
var beforeOpen = func() {}

// check refuses what is not a regular file, or is larger than limit by its
// own account.
func check(path string, st fs.FileInfo, limit int64) error {
	if kind := Kind(st.Mode()); kind != "" {
		return &fs.PathError{Op: "read", Path: path, Err: &notRegularError{kind: kind}}
	}
	if st.Size() > limit {
		return &fs.PathError{Op: "read", Path: path, Err: &tooLargeError{size: st.Size(), limit: limit}}
	}
	return nil
}

// Kind names what a non-regular file is, as an operator would say it ("a
// named pipe (FIFO)"); "" for a regular file.
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	default:
		return "a file of type " + m.Type().String()
	}
}

type notRegularError struct{ kind string }

func (e *notRegularError) Error() string { return "is " + e.kind + ", not a regular file" }

func (e *notRegularError) Is(target error) bool { return target == ErrNotRegular }

type tooLargeError struct{ size, limit int64 } // size < 0: unknown

func (e *tooLargeError) Error() string {
	if e.size < 0 {
		return "is larger than " + FormatSize(e.limit)
	}
	size := FormatSize(e.size)
	if size == FormatSize(e.limit) { // just over: "4 MiB (it is 4 MiB)" would read as a contradiction
		size = strconv.FormatInt(e.size, 10) + " bytes"
	}
	return fmt.Sprintf("is larger than %s (it is %s)", FormatSize(e.limit), size)
}

func (e *tooLargeError) Is(target error) bool { return target == ErrTooLarge }

// FormatSize writes a byte count the way limits are documented: "64 KiB",
// "4 MiB", "1.5 KiB", "16 B".
func FormatSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatInt(n, 10) + " B"
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + " " + units[i]
}
