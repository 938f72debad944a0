// Command refshow runs difftest cases under the reference GNU make only and
// prints what each showed, so a case's author can check that the case tests
// what it means to:
//
//	go run ./internal/difftest/refshow testdata/diff/lang-func/subst.txt
//
// It prints, per case, the exit status, stdout, stderr and (with -tree) the
// resulting file tree. It compares nothing; TestDiff in cmd/dmake does.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/dmake/dmake/internal/difftest"
)

func main() {
	tree := flag.Bool("tree", false, "also print the resulting file tree")
	ref := flag.String("make", "/usr/bin/make", "the reference make")
	flag.Parse()
	root, err := os.MkdirTemp("", "refshow")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(root)
	r := &difftest.Runner{Root: root}
	failed := false
	for _, p := range flag.Args() {
		if err := show(r, p, *ref, *tree); err != nil {
			fmt.Fprintln(os.Stderr, err)
			failed = true
		}
	}
	if failed {
		os.RemoveAll(root)
		os.Exit(1)
	}
}

// show runs one case and prints its result.
func show(r *difftest.Runner, path, ref string, tree bool) error {
	c, err := difftest.Load(path)
	if err != nil {
		return err
	}
	res, err := r.Run(context.Background(), c, ref)
	if err != nil {
		return err
	}
	fmt.Printf("##### %s  (exit %s)%s\n", c.Name, res.Exit, skipNote(c))
	fmt.Printf("%s", res.Stdout)
	if len(res.Stderr) > 0 {
		fmt.Printf("--- stderr\n%s", res.Stderr)
	}
	if tree {
		fmt.Printf("--- tree\n%s", res.Tree)
	}
	return nil
}

// skipNote marks a case that TestDiff would skip.
func skipNote(c *difftest.Case) string {
	if c.Skip == "" {
		return ""
	}
	return "  SKIPPED: " + c.Skip
}
