//go:build !linux

package probe

import "errors"

// waitExitNoReap is Linux only here: other systems reap first, then kill
// what is left of the group.
func waitExitNoReap(int) error { return errors.ErrUnsupported }
