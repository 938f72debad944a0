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
// SIGKILL; if the worker itself dies, the shell gets SIGKILL (Pdeathsig).
type ShellRunner struct {
	// Env is added to the worker's environment for every command.
	Env []string
}

// Run implements StepRunner.
func (r ShellRunner) Run(ctx context.Context, req StepRequest, out io.Writer) StepResult {
	cmd := exec.Command("/bin/sh", "-c", string(req.Payload))
	cmd.Dir = req.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(append(os.Environ(), r.Env...),
		"DMAKE_BUILD="+req.Build,
		"DMAKE_STEP="+strconv.Itoa(req.Step),
		"DMAKE_TARGET="+req.Target,
		"DMAKE_ATTEMPT="+strconv.FormatUint(uint64(req.Attempt), 10),
		"DMAKE_WORKER="+req.Worker)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
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
