package difftest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A Signal is sent to a run once a file appears in the case directory, so
// that interrupt cases are deterministic: a recipe writes the file when it
// is ready to be interrupted, then waits.
type Signal struct {
	Sig      syscall.Signal
	When     string // file whose appearance triggers the signal
	MakeOnly bool   // signal the make process alone, not its process group
}

// signalNames are the signals a case may send.
var signalNames = map[string]syscall.Signal{
	"INT": syscall.SIGINT, "TERM": syscall.SIGTERM, "HUP": syscall.SIGHUP,
	"QUIT": syscall.SIGQUIT, "KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1,
}

// parseSignal reads "INT when-file [make]".
func parseSignal(words []string) (Signal, error) {
	if len(words) < 2 || len(words) > 3 || (len(words) == 3 && words[2] != "make") {
		return Signal{}, fmt.Errorf("want \"SIG file [make]\", got %q", strings.Join(words, " "))
	}
	sig, ok := signalNames[strings.TrimPrefix(words[0], "SIG")]
	if !ok {
		return Signal{}, fmt.Errorf("unknown signal %q", words[0])
	}
	if err := checkRelPath(words[1]); err != nil {
		return Signal{}, err
	}
	return Signal{Sig: sig, When: words[1], MakeOnly: len(words) == 3}, nil
}

// signalPoll is how often the case directory is looked at for a Signal's
// file. It only paces the polling; no result depends on it.
const signalPoll = 5 * time.Millisecond

// sendSignals delivers the case's signals to the run started as pid (the
// leader of its process group), in order, each once its file exists. It
// returns when all are sent or done is closed.
func sendSignals(dir string, pid int, sigs []Signal, done <-chan struct{}) {
	t := time.NewTicker(signalPoll)
	defer t.Stop()
	for _, s := range sigs {
		for {
			if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(s.When))); err == nil {
				break
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
		target := -pid
		if s.MakeOnly {
			target = pid
		}
		_ = syscall.Kill(target, s.Sig)
	}
}
