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
