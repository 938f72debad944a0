package exec

import (
	"reflect"
	"syscall"
	"testing"
)

// The expectations below are what GNU make 4.3 passed to execve for each
// line (observed with strace -e trace=execve).
func TestSplitDirect(t *testing.T) {
	tests := []struct {
		line string
		want []string // nil: the shell runs it
	}{
		{"echo hi", []string{"echo", "hi"}},
		{"  echo  a  ", []string{"echo", "a"}},
		{"echo a \\\nb", []string{"echo", "a", "b"}},
		{"echo a\\\nb", []string{"echo", "ab"}},
		{"echo a\\\n  b", []string{"echo", "a", "b"}},
		{"echo \\\n  b", []string{"echo", "b"}},
		{"true 'x y' a\\ b", []string{"true", "x y", "a b"}},
		{"echo 'p \\\nq'", []string{"echo", "p \\\nq"}},
		{"a ''", []string{"a", ""}},
		{"a '' b", []string{"a", "", "b"}},
		{"echo a\\\\b", []string{"echo", "a\\b"}},
		{"echo %", []string{"echo", "%"}},
		{"env A=1 true", []string{"env", "A=1", "true"}},
		{"x A=b", []string{"x", "A=b"}},
		{"ls -d .", []string{"ls", "-d", "."}},
		{"", []string{}},
		{"   ", []string{}},
		{"A=1 true", nil},
		{"A=b", nil},
		{"test -n x", nil},
		{": foo", nil},
		{"cd .", nil},
		{"exec true", nil},
		{"times", nil},
		{"echo ~", nil},
		{"echo hi # c", nil},
		{"echo a;", nil},
		{"echo \"x\"", nil},
		{"echo $HOME", nil},
		{"true a'b", nil},
		{"[ -f x ]", nil},
		{"echo a | cat", nil},
	}
	for _, tt := range tests {
		got, ok := splitDirect(tt.line, false)
		if tt.want == nil {
			if ok {
				t.Errorf("splitDirect(%q) = %q, want the shell", tt.line, got)
			}
			continue
		}
		if !ok {
			t.Errorf("splitDirect(%q) wants the shell, want %q", tt.line, tt.want)
			continue
		}
		if len(got) == 0 && len(tt.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitDirect(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestSplitDirectMetacharacters(t *testing.T) {
	for c := byte(0x21); c < 0x7f; c++ {
		line := "true a" + string(c) + "b"
		_, ok := splitDirect(line, false)
		// Observed: exactly these send a line to the shell (the quote
		// because it is left open).
		wantShell := c == '\'' || contains(shellMeta, c)
		if ok == wantShell {
			t.Errorf("splitDirect(%q): direct=%v", line, ok)
		}
	}
}

func contains(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}

func TestSplitDirectOneShellNewline(t *testing.T) {
	if _, ok := splitDirect("echo a\necho b", true); ok {
		t.Error("a bare newline under .ONESHELL must go to the shell")
	}
	if got, ok := splitDirect("echo a \\\nb", true); !ok || !reflect.DeepEqual(got, []string{"echo", "a", "b"}) {
		t.Errorf("backslash-newline under .ONESHELL: %q %v", got, ok)
	}
}

func TestDirectOK(t *testing.T) {
	tests := []struct {
		shell string
		flags []string
		env   []string
		want  bool
	}{
		{"/bin/sh", []string{"-c"}, nil, true},
		{"/bin/sh", []string{"-ec"}, nil, true},
		{"/bin/sh", []string{"-e", "-c"}, nil, false},
		{"/bin/sh", []string{}, nil, false},
		{"/bin/bash", []string{"-c"}, nil, false},
		{"sh", []string{"-c"}, nil, false},
		{"/bin/sh", []string{"-c"}, []string{"IFS= \t\n"}, true},
		{"/bin/sh", []string{"-c"}, []string{"IFS=:"}, false},
	}
	for _, tt := range tests {
		if got := directOK(tt.shell, tt.flags, tt.env); got != tt.want {
			t.Errorf("directOK(%q, %q, %q) = %v", tt.shell, tt.flags, tt.env, got)
		}
	}
}

func TestSplitPrefix(t *testing.T) {
	text, s, i, a := SplitPrefix("  @-+ @echo x")
	if text != "echo x" || !s || !i || !a {
		t.Errorf("got %q %v %v %v", text, s, i, a)
	}
	text, s, i, a = SplitPrefix("echo @x")
	if text != "echo @x" || s || i || a {
		t.Errorf("got %q %v %v %v", text, s, i, a)
	}
}

func TestSignalText(t *testing.T) {
	// glibc's strsignal() on Linux, as printed by GNU make.
	for sig, want := range map[int]string{
		9: "Killed", 11: "Segmentation fault", 15: "Terminated", 2: "Interrupt",
		32: "Unknown signal 32", 34: "Real-time signal 0", 50: "Real-time signal 16",
		64: "Real-time signal 30", 65: "Unknown signal 65",
	} {
		if got := SignalText(syscall.Signal(sig)); got != want {
			t.Errorf("SignalText(%d) = %q, want %q", sig, got, want)
		}
	}
}
