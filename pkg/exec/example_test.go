package exec_test

import (
	"context"
	"fmt"
	"os"

	"github.com/dmake/dmake/pkg/exec"
)

// The builder strips the prefixes of each line as written, expands the
// rest, and hands the job over; Run prints what GNU make would print.
func ExampleRun() {
	job := &exec.Job{
		Target: "all",
		Stdout: os.Stdout,
		Stderr: os.Stdout,
		Lines: []exec.Line{
			{Text: "echo hello", Pos: "Makefile:2"},
			{Text: "exit 3", Silent: true, IgnoreError: true, Pos: "Makefile:3"},
			{Text: "false", Pos: "Makefile:4"},
			{Text: "echo never", Pos: "Makefile:5"},
		},
	}
	res := exec.Run(context.Background(), job)
	fmt.Println(res.Status, res.Line, res.Exit, res.Ignored)
	// Output:
	// echo hello
	// hello
	// make: [Makefile:3: all] Error 3 (ignored)
	// false
	// make: *** [Makefile:4: all] Error 1
	// failed 2 Error 1 1
}
