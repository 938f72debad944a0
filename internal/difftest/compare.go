package difftest

import (
	"context"
	"fmt"
	"strings"
)

// Compare returns a readable report of every difference between the
// reference result ref and the result got, or "" when they are equal. Exit
// status, stdout, stderr and the resulting file tree are compared exactly.
func Compare(ref, got *Result, refName, gotName string) string {
	var b strings.Builder
	if ref.Exit != got.Exit {
		fmt.Fprintf(&b, "exit status: %s %s, %s %s\n", refName, ref.Exit, gotName, got.Exit)
	}
	parts := []struct {
		what     string
		ref, got string
	}{
		{"stdout", string(ref.Stdout), string(got.Stdout)},
		{"stderr", string(ref.Stderr), string(got.Stderr)},
		{"file tree", ref.Tree, got.Tree},
	}
	for _, p := range parts {
		b.WriteString(Diff(p.what+" ("+refName+")", p.ref, p.what+" ("+gotName+")", p.got))
	}
	return b.String()
}

// Check runs c with the reference program ref, then with the program under
// test got, in the same directory, and returns the mismatch report ("" when
// both runs agree). A reference run that was killed is an error: the case,
// not the program under test, is broken.
func (r *Runner) Check(ctx context.Context, c *Case, ref, got string) (string, error) {
	want, err := r.Run(ctx, c, ref)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(want.Exit, "killed") || strings.HasPrefix(want.Exit, "signal") && len(c.Signals) == 0 {
		return "", fmt.Errorf("%s: the reference run did not finish: %s\nstderr:\n%s", c.Name, want.Exit, want.Stderr)
	}
	have, err := r.Run(ctx, c, got)
	if err != nil {
		return "", err
	}
	report := Compare(want, have, "GNU make", "dmake")
	if report == "" {
		return "", nil
	}
	cmdline := strings.Join(append([]string{"make"}, quoteArgs(c.Args)...), " ")
	header := fmt.Sprintf("case %s differs: %s (in %s)\n", c.Name, cmdline, r.WorkDir(c))
	return header + report, nil
}

// quoteArgs quotes the arguments that need it for a shell.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"\\$`*?[]#;&|<>()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}
