package exec

import (
	"path/filepath"
	"strings"
)

// SplitPrefix removes the blanks and the @ - + prefix characters that open
// an expanded recipe line, as GNU make does just before it runs the line,
// and reports which prefixes it saw. The caller ORs them with .SILENT, -s,
// -i, .IGNORE and $(MAKE) detection to build a Line.
func SplitPrefix(s string) (text string, silent, ignore, always bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '@':
			silent = true
		case '-':
			ignore = true
		case '+':
			always = true
		case ' ', '\t':
		default:
			return s[i:], silent, ignore, always
		}
	}
	return "", silent, ignore, always
}

// posixShells are the shell names (last path element) GNU make 4.3 treats
// as POSIX shells for .ONESHELL.
var posixShells = map[string]bool{
	"sh": true, "bash": true, "dash": true, "ksh": true, "rksh": true, "zsh": true, "ash": true,
}

func isPOSIXShell(shell string) bool { return posixShells[filepath.Base(shell)] }

// oneShellLine joins a .ONESHELL recipe into the single line that runs it.
// The first line's flags and position stand for the script, except that
// any Always line makes it Always (the caller marks lines that mention
// $(MAKE)). Under a POSIX shell the blanks and prefixes opening the other
// lines are removed, so Makefiles written for one shell per line still
// work; other shells get those lines as written.
func oneShellLine(shell string, lines []Line) Line {
	if len(lines) == 0 {
		return Line{}
	}
	l := lines[0]
	var b strings.Builder
	b.WriteString(l.Text)
	posix := isPOSIXShell(shell)
	for _, o := range lines[1:] {
		t := o.Text
		if posix {
			t, _, _, _ = SplitPrefix(t)
		}
		b.WriteByte('\n')
		b.WriteString(t)
		l.Always = l.Always || o.Always
	}
	l.Text = b.String()
	return l
}

// splitCommands cuts an expanded line at its bare newlines (a newline not
// preceded by a backslash), the way GNU make runs a variable holding
// several lines ("define") as several commands. Quotes do not protect a
// newline, in GNU make either.
func splitCommands(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' && (i == 0 || s[i-1] != '\\') {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// command is one command of a job, and the index of the Line it came from.
type command struct {
	Line
	index int
}

// commands lists what a job runs, in order: one script under .ONESHELL;
// otherwise each line, cut at bare newlines. Each command's own prefixes
// (those the expansion produced) are stripped and added to its line's
// flags, as GNU make does when it starts each command.
func commands(job *Job) []command {
	if job.OneShell {
		return []command{{withPrefix(oneShellLine(shellOf(job), job.Lines), ""), 0}}
	}
	cmds := make([]command, 0, len(job.Lines))
	for i, l := range job.Lines {
		if !strings.Contains(l.Text, "\n") {
			cmds = append(cmds, command{withPrefix(l, l.Text), i})
			continue
		}
		for _, piece := range splitCommands(l.Text) {
			cmds = append(cmds, command{withPrefix(l, piece), i})
		}
	}
	return cmds
}

// withPrefix is l running text (l.Text if text is ""), with the prefixes
// opening text stripped and added to l's flags.
func withPrefix(l Line, text string) Line {
	if text == "" {
		text = l.Text
	}
	var s, ig, a bool
	l.Text, s, ig, a = SplitPrefix(text)
	l.Silent, l.IgnoreError, l.Always = l.Silent || s, l.IgnoreError || ig, l.Always || a
	return l
}
