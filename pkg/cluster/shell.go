package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// ShellRunner runs a step's payload as a /bin/sh -c command in the build's
// directory, in a process group of its own. It is the runner of `dmaked`
// tests and trials; dmake proper plugs in its make step runner.
//
// The command's environment adds DMAKE_BUILD, DMAKE_STEP, DMAKE_TARGET,
// DMAKE_ATTEMPT and DMAKE_WORKER. On cancellation the whole group gets
// SIGKILL. If the worker itself dies (even by SIGKILL), the group dies too:
// the command runs under a guard shell that gets SIGTERM when the worker
// goes (Pdeathsig) and then kills its group, so no orphaned compiler goes on
// writing a target that another worker is now building.
type ShellRunner struct {
	// Env is added to the worker's environment for every command.
	Env []string
}

// groupGuard runs the step's command ($1) in the background and waits for
// it, exiting with its status; on SIGTERM it kills its whole process group.
const groupGuard = `trap 'kill -KILL 0' TERM; /bin/sh -c "$1" & wait $!`

// Run implements StepRunner.
func (r ShellRunner) Run(ctx context.Context, req StepRequest, out io.Writer) StepResult {
	cmd := exec.Command("/bin/sh", "-c", groupGuard, "dmake-step", string(req.Payload))
	cmd.Dir = req.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(append(os.Environ(), r.Env...),
		"DMAKE_BUILD="+req.Build,
		"DMAKE_STEP="+strconv.Itoa(req.Step),
		"DMAKE_TARGET="+req.Target,
		"DMAKE_ATTEMPT="+strconv.FormatUint(uint64(req.Attempt), 10),
		"DMAKE_WORKER="+req.Worker)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return StepResult{Failed: true, ExitCode: 127, Message: fmt.Sprintf("start: %v", err)}
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		case <-done:
		}
	}()
	err := cmd.Wait()
	close(done)
	if ctx.Err() != nil {
		return StepResult{Failed: true, ExitCode: -1, Message: "killed: " + context.Cause(ctx).Error()}
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return StepResult{Changed: true}
	case errors.As(err, &ee):
		return StepResult{Failed: true, ExitCode: ee.ExitCode(), Message: fmt.Sprintf("Error %d", ee.ExitCode())}
	}
	return StepResult{Failed: true, ExitCode: -1, Message: err.Error()}
}
