package difftest

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxDiffCells bounds the work of the line diff; beyond it both texts are
// shown whole instead.
const maxDiffCells = 4 << 20

// Diff returns a unified-style line diff from a to b with three lines of
// context, headed by the two names. It returns "" when a and b are equal.
// Lines that are not valid UTF-8 or hold control characters are shown
// Go-quoted, so garbage bytes stay readable.
func Diff(nameA, a, nameB, b string) string {
	if a == b {
		return ""
	}
	x, y := splitLines(a), splitLines(b)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	if len(x)*len(y) > maxDiffCells {
		writeLines(&out, "-", x)
		writeLines(&out, "+", y)
		return truncateLines(out.String(), maxDiffLines)
	}
	writeHunks(&out, editScript(x, y))
	return truncateLines(out.String(), maxDiffLines)
}

// maxDiffLines bounds one diff in a report; the rest is counted, not shown.
const maxDiffLines = 400

// truncateLines keeps the first n lines of s and notes how many were cut.
func truncateLines(s string, n int) string {
	i := 0
	for k := 0; k < n; k++ {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			return s
		}
		i += j + 1
	}
	if i == len(s) {
		return s
	}
	return s[:i] + fmt.Sprintf("[... %d more lines of diff]\n", strings.Count(s[i:], "\n"))
}

// splitLines splits s into lines, each keeping its newline; a last line
// without one is marked, so a missing final newline shows in the diff.
func splitLines(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s+"\n", "\\ no newline at end\n")
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// An edit is one line of a diff: ' ' kept, '-' removed, '+' added.
type edit struct {
	op   byte
	line string
}

// editScript computes a shortest edit script from x to y by longest common
// subsequence.
func editScript(x, y []string) []edit {
	n, m := len(x), len(y)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var es []edit
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			es = append(es, edit{' ', x[i]})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			es = append(es, edit{'-', x[i]})
			i++
		default:
			es = append(es, edit{'+', y[j]})
			j++
		}
	}
	return es
}

// writeHunks prints the changed parts of es with up to three lines of
// context around each, and a "@@ -a +b @@" header per hunk.
func writeHunks(out *strings.Builder, es []edit) {
	const ctx = 3
	for start := 0; start < len(es); {
		for start < len(es) && es[start].op == ' ' {
			start++
		}
		if start == len(es) {
			return
		}
		end := start
		for k := start; k < len(es) && k-end <= 2*ctx; k++ {
			if es[k].op != ' ' {
				end = k
			}
		}
		lo, hi := max(start-ctx, 0), min(end+ctx+1, len(es))
		a, b := lineNumbers(es, lo)
		fmt.Fprintf(out, "@@ -%d +%d @@\n", a, b)
		for _, e := range es[lo:hi] {
			out.WriteString(string(e.op) + printable(e.line))
		}
		start = hi
	}
}

// lineNumbers returns the 1-based line numbers in x and y at edit k.
func lineNumbers(es []edit, k int) (int, int) {
	a, b := 1, 1
	for _, e := range es[:k] {
		if e.op != '+' {
			a++
		}
		if e.op != '-' {
			b++
		}
	}
	return a, b
}

// writeLines prints every line of lines behind prefix.
func writeLines(out *strings.Builder, prefix string, lines []string) {
	for _, l := range lines {
		out.WriteString(prefix + printable(l))
	}
}

// printable returns line (which ends in "\n") as is, or Go-quoted when it
// holds bytes a terminal would not show faithfully.
func printable(line string) string {
	body := strings.TrimSuffix(line, "\n")
	ok := utf8.ValidString(body)
	for _, r := range body {
		if r < 0x20 && r != '\t' || r == 0x7f {
			ok = false
		}
	}
	if ok {
		return line
	}
	return strconv.Quote(body) + " (quoted)\n"
}
