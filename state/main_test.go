package state

import (
	"bufio"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// holdEnv makes the test binary a second mcpwatch: it opens the store in
// the dir named by the variable, prints "ready", and holds it until its
// stdin closes.
const holdEnv = "MCPWATCH_STATE_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdEnv); dir != "" {
		s := Open(Options{Dir: dir})
		if n := s.Notice(); n != "" {
			fmt.Println("notice:", n)
			os.Exit(1)
		}
		fmt.Println("ready")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		_ = s.Close()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}
