package exec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeExec(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func TestRunLikeGNUMake(t *testing.T) {
	cases := []diffCase{
		{name: "echo", lines: []string{"echo hi", "@echo quiet", "echo a \\\nb", "@echo c \\\n  d", "echo \"x \\\ny\"", "echo 'p \\\nq'"}},
		{name: "fail-direct", lines: []string{"echo before", "false", "echo never"}},
		{name: "fail-shell", lines: []string{"exit 3;", "echo never"}},
		{name: "ignored", lines: []string{"-false", "-exit 4;", "@-sh -c 'exit 255'", "echo after"}},
		{name: "ignore-flag", args: []string{"-i"}, lines: []string{"false", "echo after"}},
		{name: "silent-flag", args: []string{"-s"}, lines: []string{"echo a", "false"}},
		{name: "missing-direct", lines: []string{"-nosuchcmd-dmake", "-./nosuch", "nosuchcmd-dmake arg"}},
		{name: "missing-shell", lines: []string{"-nosuchcmd-dmake;", "nosuchcmd-dmake arg;"}},
		{name: "permission", lines: []string{"-./noexec", "-./noexec;", "-/etc", "./noexec"},
			setup: func(t *testing.T, dir string) { writeExec(t, filepath.Join(dir, "noexec"), "x\n", 0o644) }},
		{name: "no-shebang", lines: []string{"./script a b", "./script c;"},
			setup: func(t *testing.T, dir string) {
				writeExec(t, filepath.Join(dir, "script"), "echo script $0 \"$@\"\n", 0o755)
			}},
		{name: "signals", lines: []string{
			"-sh -c 'kill -TERM $$$$'", "-sh -c 'kill -KILL $$$$'", "-sh -c 'kill -HUP $$$$'",
			"-sh -c 'kill -USR1 $$$$'", "-sh -c 'kill -PIPE $$$$'", "-sh -c 'kill -INT $$$$'",
			"-sh -c 'kill -34 $$$$'", "-sh -c 'kill -ALRM $$$$'", "sh -c 'kill -SEGV $$$$'"}},
		{name: "dry-run", args: []string{"-n"}, lines: []string{"@echo silent", "+@echo plussilent", "+echo plus", "echo normal", "-false", "@false", "echo after"}},
		{name: "dry-run-fail", args: []string{"-n"}, lines: []string{"echo a", "+false", "echo never"}},
		{name: "shellflags", pre: ".SHELLFLAGS=-e -x -c\n", flags: []string{"-e", "-x", "-c"}, lines: []string{"echo a;", "echo b"}},
		{name: "ec-direct", pre: ".SHELLFLAGS=-ec\n", flags: []string{"-ec"}, lines: []string{"nosuchcmd-dmake x"}},
		{name: "missing-shell-program", pre: "SHELL=/bin/nosh-dmake\n", shell: "/bin/nosh-dmake", lines: []string{"-echo a;", "echo b"}},
		{name: "bash", pre: "SHELL=/bin/bash\n", shell: "/bin/bash", lines: []string{"nosuchcmd-dmake x", "echo not reached"}},
		{name: "define", pre: "define CMDS\n@echo a\n-false\n  +echo b\nendef\ndefine NL\n\n\nendef\n",
			vars:  map[string]string{"CMDS": "@echo a\n-false\n  +echo b", "NL": "\n"},
			lines: []string{"$(CMDS)", "@$(CMDS)", "-$(CMDS)", "echo \"c$(NL)d\"", "echo never"}},
		{name: "define-dry-run", args: []string{"-n"}, pre: "define CMDS\n@echo a\n+echo b\nendef\n", vars: map[string]string{"CMDS": "@echo a\n+echo b"},
			lines: []string{"$(CMDS)"}},
		{name: "too-long", pre: "X:=" + strings.Repeat("a", 200000) + "\n", vars: map[string]string{"X": strings.Repeat("a", 200000)},
			lines: []string{"@echo $(X) | wc -c; echo done"}},
		{name: "shell-with-options", pre: "SHELL=/bin/bash -o pipefail\n", shell: "/bin/bash -o pipefail", lines: []string{"false | true", "echo never"}},
		{name: "quoted-shellflags", pre: ".SHELLFLAGS=\"-c\"\n", flags: []string{`"-c"`}, lines: []string{"echo a 'b  c'", "echo \"it's\"", "exit 4"}},
		{name: "empty-shellflags", pre: "SHELL:=/bin/bash\n.SHELLFLAGS:=\n", shell: "/bin/bash", flags: []string{}, lines: []string{"-echo b", "true"}},
		{name: "oneshell-shell-one-word", pre: ".ONESHELL:\nSHELL=/bin/bash -e\n", shell: "/bin/bash -e", oneShell: true, lines: []string{"@echo a;", "echo b"}},
		{name: "oneshell-quoted-flags", pre: ".ONESHELL:\n.SHELLFLAGS=\"-c\"\n", flags: []string{`"-c"`}, oneShell: true, lines: []string{"@echo a;", "echo b"}},
		{name: "oneshell-flags", pre: ".ONESHELL:\n.SHELLFLAGS=-e -c\n", flags: []string{"-e", "-c"}, oneShell: true, lines: []string{"@echo a", "false", "echo b"}},
		{name: "oneshell", pre: ".ONESHELL:\n", oneShell: true, lines: []string{
			"@echo a", "-@echo b", "  +  echo c", "@  echo d \\\ne", "echo f; \\\n@echo g", "  @@-+ echo h", "false", "echo after"}},
		{name: "oneshell-echo", pre: ".ONESHELL:\n", oneShell: true, lines: []string{"echo a", "@echo b", "exit 3", "echo never"}},
		{name: "oneshell-ignore", pre: ".ONESHELL:\n", oneShell: true, lines: []string{"-echo a", "@exit 3"}},
		{name: "oneshell-single-direct", pre: ".ONESHELL:\n", oneShell: true, lines: []string{"nosuchcmd-dmake a"}},
		{name: "oneshell-dry-run", pre: ".ONESHELL:\n", oneShell: true, args: []string{"-n"}, lines: []string{"@echo x", "-echo y", "+echo z"}},
		// The shell is given a name GNU make does not take for a POSIX
		// shell, so the prefixes of the later lines stay.
		{name: "oneshell-other-shell", oneShell: true, lines: []string{"@echo a", "@echo b", "  -echo c"}},
		{name: "oneshell-bash", pre: ".ONESHELL:\nSHELL=/bin/bash\n", shell: "/bin/bash", oneShell: true, lines: []string{"@echo a", "@echo b"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "oneshell-other-shell" {
				shellDir := t.TempDir()
				if err := os.Symlink("/bin/dash", filepath.Join(shellDir, "mysh")); err != nil {
					t.Fatal(err)
				}
				c.shell = filepath.Join(shellDir, "mysh")
				c.pre = ".ONESHELL:\nSHELL=" + c.shell + "\n"
			}
			checkDiff(t, c)
		})
	}
}
