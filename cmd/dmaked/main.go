// Command dmaked is the dmake cluster daemon: coordinators (Raft-replicated
// state and the leader's scheduler), workers (which run steps), a one-process
// dev cluster, and the operator's commands.
package main

import (
	"fmt"
	"github.com/dmake/dmake/pkg/cluster/bridge"
	xexec "github.com/dmake/dmake/pkg/exec"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == xexec.ReaperCommand {
		// A worker started us to kill its recipes if it dies.
		os.Exit(xexec.RunReaper())
	}
	if len(os.Args) > 1 && os.Args[1] == bridge.Command {
		// dmake started us to talk to the cluster for it.
		os.Exit(runBridge())
	}
	app := &cli.App{
		Name:  "dmaked",
		Usage: "the dmake cluster daemon",
		Commands: []*cli.Command{
			coordinatorCommand(),
			workerCommand(),
			devCommand(),
			operatorCommand(),
			statusCommand(),
			workersCommand(),
			buildsCommand(),
			drainCommand(),
			undrainCommand(),
			cancelCommand(),
		},
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "dmaked:", err)
		os.Exit(1)
	}
}
