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
// With guardedEnv also set, the line runs under a guard and leaves a
// grandchild (a background sleep), whose pid it writes instead.
const (
	workerEnv  = "DMAKE_EXEC_TEST_WORKER"
	guardedEnv = "DMAKE_EXEC_TEST_GUARDED"
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == ReaperCommand {
		os.Exit(RunReaper())
	}
	if pidfile := os.Getenv(workerEnv); pidfile != "" {
		job := &Job{Lines: []Line{{Text: "echo $$ > " + pidfile + "; exec sleep 60", Silent: true}}}
		if os.Getenv(guardedEnv) != "" {
			self, _ := os.Executable()
			reaper, err := StartReaper(self)
			if err != nil {
				panic(err)
			}
			job = &Job{Reaper: reaper, Lines: []Line{{Text: "sleep 60 & echo $! > " + pidfile + "; wait", Silent: true}}}
		}
		Run(context.Background(), job)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// With a reaper, a recipe's whole process group dies with the worker: a
// grandchild the line left in the background too, which Pdeathsig alone
// would not reach.
func TestReaperKillsGroupWithWorker(t *testing.T) {
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
