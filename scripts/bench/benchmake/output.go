package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// sameOutput reports whether the last runs of both makes under tag printed
// the same lines, once each make's path and name are replaced by "make".
// Lines are compared sorted, since at -j they interleave differently from
// run to run. A benchmark figure is only worth comparing if the make under
// test did the same work.
func (b *bench) sameOutput(tag string) bool {
	var out [2][]string
	for _, s := range []side{gnu, dm} {
		data, err := os.ReadFile(filepath.Join(b.logs, tag+"-"+[2]string{"gnu", "dmake"}[s]+".log"))
		if err != nil {
			return false
		}
		out[s] = normalise(string(data), b.makePath(s))
	}
	return slices.Equal(out[gnu], out[dm])
}

func normalise(text, makePath string) []string {
	text = strings.ReplaceAll(text, makePath, "make")
	prefix := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(procName(makePath)) + `(\[[0-9]+\])?:`)
	text = prefix.ReplaceAllString(text, "make$1:")
	lines := strings.Split(text, "\n")
	slices.Sort(lines)
	return lines
}
