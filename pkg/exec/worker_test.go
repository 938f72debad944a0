package exec

import (
	"context"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// workerEnv, when set, turns the test binary into a pretend worker that
// runs one long recipe line; the value is where the line writes its pid.
const workerEnv = "DMAKE_EXEC_TEST_WORKER"

func TestMain(m *testing.M) {
	if pidfile := os.Getenv(workerEnv); pidfile != "" {
		Run(context.Background(), &Job{Lines: []Line{{Text: "echo $$ > " + pidfile + "; exec sleep 60", Silent: true}}})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// A recipe dies with the process running it, even when that process is
// killed outright (a worker lost to kill -9 or the OOM killer).
func TestRecipeDiesWithWorker(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(t.TempDir(), "pid")
	worker := osexec.Command(self)
	worker.Env = append(os.Environ(), workerEnv+"="+pidfile)
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(waitFile(t, pidfile))
	if err := worker.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	worker.Wait()
	waitGone(t, pid)
}
