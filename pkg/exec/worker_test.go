package exec

import (
	"context"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// workerEnv, when set, turns the test binary into a pretend worker that
// runs one long recipe line; the value is where the line writes its pid.
// With guardedEnv also set, the line runs under a guard and leaves a
// grandchild (a background sleep), whose pid it writes instead.
const (
	workerEnv  = "DMAKE_EXEC_TEST_WORKER"
	guardedEnv = "DMAKE_EXEC_TEST_GUARDED"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == GuardCommand {
		os.Exit(RunGuard(os.Args[2:]))
	}
	if pidfile := os.Getenv(workerEnv); pidfile != "" {
		job := &Job{Lines: []Line{{Text: "echo $$ > " + pidfile + "; exec sleep 60", Silent: true}}}
		if os.Getenv(guardedEnv) != "" {
			self, _ := os.Executable()
			job = &Job{Guard: []string{self}, Lines: []Line{{Text: "sleep 60 & echo $! > " + pidfile + "; wait", Silent: true}}}
		}
		Run(context.Background(), job)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Under a guard, a recipe's whole process group dies with the worker: a
// grandchild the line left in the background too, which Pdeathsig alone
// would not reach.
func TestGuardKillsGroupWithWorker(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pidfile := filepath.Join(t.TempDir(), "pid")
	worker := osexec.Command(self)
	worker.Env = append(os.Environ(), workerEnv+"="+pidfile, guardedEnv+"=1")
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

// A guard is invisible: exit statuses, signals and output come through as
// without it.
func TestGuardPassesStatusAndSignal(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		line string
		want ExitStatus
	}{
		{"exit 3", ExitStatus{Code: 3}},
		{"true", ExitStatus{}},
		{"kill -TERM $$", ExitStatus{Signal: 15}},
	} {
		var out strings.Builder
		res := Run(context.Background(), &Job{Guard: []string{self}, Stdout: &out, Stderr: &out,
			Lines: []Line{{Text: c.line, Silent: true}}})
		if res.Exit.Signal != c.want.Signal || (c.want.Signal == 0 && res.Exit.Code != c.want.Code) {
			t.Errorf("%q: exit %+v, want %+v (%s)", c.line, res.Exit, c.want, out.String())
		}
	}
	var out strings.Builder
	Run(context.Background(), &Job{Guard: []string{self}, Stdout: &out, Stderr: &out, Lines: []Line{{Text: "echo hello"}}})
	if out.String() != "echo hello\nhello\n" {
		t.Errorf("output through the guard: %q", out.String())
	}
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
