package cli

import (
	"runtime"
	"strings"
)

// Name and Version identify dmake in -v output.
const (
	Name    = "dmake"
	Version = "0.1"
	// BugReportURL replaces GNU make's bug address in the usage text.
	BugReportURL = "https://github.com/dmake/dmake/issues"
)

// BuiltFor is the host triple printed by -v and -h, in GNU's spelling
// where it is known (x86_64-pc-linux-gnu), else GOARCH-unknown-GOOS.
var BuiltFor = hostTriple(runtime.GOARCH, runtime.GOOS)

func hostTriple(arch, goos string) string {
	switch arch {
	case "amd64":
		arch = "x86_64"
	case "arm64":
		arch = "aarch64"
	case "386":
		arch = "i686"
	}
	switch {
	case goos == "linux" && arch == "x86_64":
		return "x86_64-pc-linux-gnu"
	case goos == "linux":
		return arch + "-unknown-linux-gnu"
	case goos == "darwin":
		return arch + "-apple-darwin"
	}
	return arch + "-unknown-" + goos
}

// gnuOptions is GNU make 4.3's option list, verbatim.
const gnuOptions = `Options:
  -b, -m                      Ignored for compatibility.
  -B, --always-make           Unconditionally make all targets.
  -C DIRECTORY, --directory=DIRECTORY
                              Change to DIRECTORY before doing anything.
  -d                          Print lots of debugging information.
  --debug[=FLAGS]             Print various types of debugging information.
  -e, --environment-overrides
                              Environment variables override makefiles.
  -E STRING, --eval=STRING    Evaluate STRING as a makefile statement.
  -f FILE, --file=FILE, --makefile=FILE
                              Read FILE as a makefile.
  -h, --help                  Print this message and exit.
  -i, --ignore-errors         Ignore errors from recipes.
  -I DIRECTORY, --include-dir=DIRECTORY
                              Search DIRECTORY for included makefiles.
  -j [N], --jobs[=N]          Allow N jobs at once; infinite jobs with no arg.
  -k, --keep-going            Keep going when some targets can't be made.
  -l [N], --load-average[=N], --max-load[=N]
                              Don't start multiple jobs unless load is below N.
  -L, --check-symlink-times   Use the latest mtime between symlinks and target.
  -n, --just-print, --dry-run, --recon
                              Don't actually run any recipe; just print them.
  -o FILE, --old-file=FILE, --assume-old=FILE
                              Consider FILE to be very old and don't remake it.
  -O[TYPE], --output-sync[=TYPE]
                              Synchronize output of parallel jobs by TYPE.
  -p, --print-data-base       Print make's internal database.
  -q, --question              Run no recipe; exit status says if up to date.
  -r, --no-builtin-rules      Disable the built-in implicit rules.
  -R, --no-builtin-variables  Disable the built-in variable settings.
  -s, --silent, --quiet       Don't echo recipes.
  --no-silent                 Echo recipes (disable --silent mode).
  -S, --no-keep-going, --stop
                              Turns off -k.
  -t, --touch                 Touch targets instead of remaking them.
  --trace                     Print tracing information.
  -v, --version               Print the version number of make and exit.
  -w, --print-directory       Print the current directory.
  --no-print-directory        Turn off -w, even if it was turned on implicitly.
  -W FILE, --what-if=FILE, --new-file=FILE, --assume-new=FILE
                              Consider FILE to be infinitely new.
  --warn-undefined-variables  Warn when an undefined variable is referenced.
`

// clusterOptions documents dmake's own switches, in make's layout.
const clusterOptions = `  --cluster=ADDR[,ADDR...]    Run the build on the dmake cluster at ADDR
                              (default: $DMAKE_CLUSTER).
  --detach                    With a cluster, submit the build and exit.
  --no-cluster                Build on this machine even if DMAKE_CLUSTER is set.
`

// UsageText returns the -h/--help text: GNU make 4.3's, with the program
// name substituted, dmake's cluster switches added after make's, and bug
// reports sent to BugReportURL.
//
// Invoked under the name "make" (dmake installed or aliased as a drop-in
// for make), the text is GNU make 4.3's byte for byte, bug address
// included, because scripts and tests compare it; under any other name it
// is dmake's own.
func (o *Options) UsageText() string {
	var b strings.Builder
	b.WriteString("Usage: " + o.prog() + " [options] [target] ...\n")
	b.WriteString(gnuOptions)
	asMake := o.Program == "make"
	if !asMake {
		b.WriteString(clusterOptions)
	}
	b.WriteString("\nThis program built for " + BuiltFor + "\n")
	if asMake {
		b.WriteString("Report bugs to <bug-make@gnu.org>\n")
	} else {
		b.WriteString("Report bugs to <" + BugReportURL + ">\n")
	}
	return b.String()
}

// VersionText returns the -v/--version text. Its first line is
// "dmake 0.1 (compatible with GNU Make 4.3)", so scripts that look for
// "GNU Make" still find it; the rest follows make's layout. Like make,
// every line starts with "# " under -p.
func (o *Options) VersionText() string {
	lines := []string{
		Name + " " + Version + " (compatible with GNU Make 4.3)",
		"Built for " + BuiltFor,
		"Copyright (c) 2026, the dmake developers",
		"License BSD-2-Clause: <https://opensource.org/licenses/BSD-2-Clause>",
		"This is free software: you are free to change and redistribute it.",
		"There is NO WARRANTY, to the extent permitted by law.",
	}
	prefix := ""
	if o.PrintDataBase {
		prefix = "# "
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(prefix + l + "\n")
	}
	return b.String()
}

func (o *Options) prog() string {
	if o.Program == "" {
		return Name
	}
	return o.Program
}
