package exec

import "strings"

// GNU make runs a line without a shell when the shell is the default one
// and the line has nothing a shell would treat specially: it splits the
// words itself and execs the command. That saves a fork and an exec per
// line, and it changes error texts ("make: cc: No such file or directory"
// instead of the shell's "not found"), so dmake does the same. The rules
// below were read off GNU make 4.3's behaviour (strace of its execve calls).

const defaultShell = "/bin/sh"

// shellMeta are the characters that send a line to the shell.
const shellMeta = "!\"#$&()*;<>?[]^`{|}~"

// shellWords are the builtins and keywords that send a line to the shell
// when they are its first word.
var shellWords = map[string]bool{
	".": true, ":": true, "alias": true, "bg": true, "break": true,
	"case": true, "cd": true, "command": true, "continue": true, "eval": true,
	"exec": true, "exit": true, "export": true, "fc": true, "fg": true,
	"for": true, "getopts": true, "hash": true, "if": true, "jobs": true,
	"login": true, "logout": true, "read": true, "readonly": true,
	"return": true, "set": true, "shift": true, "test": true, "times": true,
	"trap": true, "type": true, "ulimit": true, "umask": true,
	"unalias": true, "unset": true, "wait": true, "while": true,
}

// directOK reports whether a job's shell settings allow the direct path at
// all: the default shell with -c or -ec, and an IFS (if any) of blanks.
func directOK(shell string, flags []string, env []string) bool {
	if shell != defaultShell {
		return false
	}
	if len(flags) != 1 || (flags[0] != "-c" && flags[0] != "-ec") {
		return false
	}
	ifs, _ := envValue(env, "IFS")
	return strings.Trim(ifs, " \t\n") == ""
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// blankLine reports whether a line has nothing to run: GNU make neither
// echoes nor runs it.
func blankLine(s string) bool { return strings.TrimLeft(s, " \t") == "" }

// splitDirect splits a line into argv the way GNU make's direct path does.
// ok is false when the line needs the shell. A blank line gives ok and an
// empty argv. Under .ONESHELL a bare newline separates commands, so it too
// needs the shell.
func splitDirect(line string, oneShell bool) (argv []string, ok bool) {
	var (
		w      splitter
		quoted bool // inside '...'
	)
	s := strings.TrimLeft(line, " \t")
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quoted {
			switch {
			case c == '\'':
				quoted = false
				w.quotedEmpty = w.cur.Len() == 0
			case c == '\\' && i+1 < len(s) && s[i+1] == '\n':
				w.cur.WriteString("\\\n") // kept inside single quotes, as sh keeps it
				i++
			default:
				w.cur.WriteByte(c)
			}
			continue
		}
		switch {
		case strings.IndexByte(shellMeta, c) >= 0:
			return nil, false
		case c == '=':
			if len(w.argv) == 0 {
				return nil, false // a leading assignment: the shell's job
			}
			w.cur.WriteByte(c)
		case c == '\\':
			i = w.backslash(s, i)
		case c == '\'':
			quoted = true
		case c == '\n' && oneShell:
			return nil, false
		case isBlank(c):
			w.endWord()
			for i+1 < len(s) && isBlank(s[i+1]) {
				i++
			}
		default:
			w.cur.WriteByte(c)
		}
	}
	if quoted {
		return nil, false // let the shell report the unterminated quote
	}
	if w.cur.Len() > 0 || w.quotedEmpty {
		w.endWord()
	}
	if len(w.argv) > 0 && shellWords[w.argv[0]] {
		return nil, false
	}
	return w.argv, true
}

// splitter accumulates the words of a direct line.
type splitter struct {
	argv        []string
	cur         strings.Builder
	quotedEmpty bool // the current word so far is an empty '' (still a word)
}

func (w *splitter) endWord() {
	w.argv = append(w.argv, w.cur.String())
	w.cur.Reset()
	w.quotedEmpty = false
}

// backslash handles a backslash at s[i] outside quotes and returns the
// index of the last byte it consumed.
func (w *splitter) backslash(s string, i int) int {
	if i+1 >= len(s) {
		return i // a trailing backslash is dropped
	}
	if s[i+1] != '\n' {
		w.cur.WriteByte(s[i+1])
		return i + 1
	}
	i++ // backslash-newline joins the lines
	if w.cur.Len() == 0 && !w.quotedEmpty {
		for i+1 < len(s) && isBlank(s[i+1]) {
			i++
		}
	}
	return i
}
