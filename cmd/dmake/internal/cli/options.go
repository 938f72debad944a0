package cli

// Options is dmake's command line after parsing, GNU make 4.3 style.
// Flags read from GNUMAKEFLAGS and MAKEFLAGS in the environment are
// merged in first; the command line then overrides them.
type Options struct {
	Program string // basename of args[0]: the name in "make: ..." messages
	Argv0   string // args[0] verbatim: the name in getopt's messages

	Makefiles   []string // -f/--file/--makefile, in order
	Dirs        []string // -C/--directory, in order; each is relative to the previous one
	IncludeDirs []string // -I/--include-dir, in order (MAKEFLAGS first)
	OldFiles    []string // -o/--old-file/--assume-old, in order
	NewFiles    []string // -W/--what-if/--new-file/--assume-new, in order
	Evals       []string // -E/--eval, in order (MAKEFLAGS first)
	Variables   []Variable
	Goals       []string // non-option words that are not variable definitions, in order

	Jobs        int     // job slots: 1 by default, 0 = unlimited (-j without a number)
	JobsGiven   bool    // -j appeared (MAKEFLAGS writes -j only then, even for -j1)
	LoadAverage float64 // -l limit; negative = no limit (the default, also -l alone)

	AlwaysMake     bool // -B
	DebugAll       bool // -d (sets every debug bit, written as "d" in MAKEFLAGS)
	EnvOverrides   bool // -e
	IgnoreErrors   bool // -i
	KeepGoing      bool // -k; -S/--no-keep-going/--stop clears it (last wins)
	CheckSymlinks  bool // -L
	DryRun         bool // -n
	PrintDataBase  bool // -p
	Question       bool // -q
	NoBuiltinRules bool // -r; Parse also sets it for -R, as make does
	NoBuiltinVars  bool // -R
	Silent         bool // -s; --no-silent clears it (last wins)
	Touch          bool // -t
	Trace          bool // --trace
	WarnUndefined  bool // --warn-undefined-variables

	// PrintDirectory is -w (TriOn) or --no-print-directory (TriOff).
	// --no-print-directory wins whatever the order. See
	// ShouldPrintDirectory for what TriDefault means.
	PrintDirectory Tri

	// OutputSync is the -O/--output-sync type; "" when not given.
	OutputSync OutputSync

	// Debug is the combined debug level of -d and every --debug.
	// DebugSpecs keeps the --debug arguments verbatim ("basic" for
	// a bare --debug), because MAKEFLAGS repeats them as given.
	Debug      DebugFlags
	DebugSpecs []string

	// JobserverAuth is the --jobserver-auth (or --jobserver-fds) value
	// read from the environment or command line. The caller replaces it
	// with its own jobserver's "R,W" (or "fifo:PATH") when it starts one,
	// or clears it when the jobserver is unavailable; MakeFlags writes
	// whatever is here after -j.
	JobserverAuth string
	SyncMutex     string // --sync-mutex (accepted and passed on, unused on POSIX)

	ShowVersion bool // -v/--version
	ShowHelp    bool // -h/--help

	// MakeLevel is $(MAKELEVEL) for this make: the leading decimal digits
	// of MAKELEVEL in the environment, 0 when absent, empty or starting
	// with '-'. Children get MakeLevel+1.
	MakeLevel int

	// Warnings are complete lines (no trailing newline) that make would
	// print on stderr and then carry on: problems in MAKEFLAGS such as
	// "make: the '-j' option requires a positive integer argument".
	Warnings []string

	Cluster Cluster

	// order of first appearance of each command-line variable name, for
	// MakeFlags (make writes them newest-first).
	varOrder []string
}

// Cluster holds dmake's own flags, which GNU make does not have. They are
// read only from the command line and DMAKE_CLUSTER, never from MAKEFLAGS,
// and are never written to MAKEFLAGS.
type Cluster struct {
	Addrs     []string // --cluster ADDR[,ADDR...]; else DMAKE_CLUSTER; empty items dropped
	FromEnv   bool     // Addrs came from DMAKE_CLUSTER
	Detach    bool     // --detach: submit the build and return without waiting
	NoCluster bool     // --no-cluster: build locally even if DMAKE_CLUSTER is set
}

// Enabled reports whether the build goes to a cluster: some address is
// known and --no-cluster was not given.
func (c Cluster) Enabled() bool { return len(c.Addrs) > 0 && !c.NoCluster }

// Variable is one command-line variable definition, kept raw: Name is not
// expanded and may contain references; Value is the text after the
// operator with leading blanks removed.
type Variable struct {
	Name          string
	Op            string // "=", ":=", "::=", "+=", "?=" or "!="
	Value         string
	FromMakeFlags bool // read from GNUMAKEFLAGS/MAKEFLAGS, not argv
}

// Tri is a three-state switch: not given, on, off.
type Tri int

// Tri values.
const (
	TriDefault Tri = iota
	TriOn
	TriOff
)

// OutputSync is an --output-sync type.
type OutputSync string

// The output-sync types GNU make 4.3 accepts. -O alone means target.
const (
	OutputSyncNone    OutputSync = "none"
	OutputSyncLine    OutputSync = "line"
	OutputSyncTarget  OutputSync = "target"
	OutputSyncRecurse OutputSync = "recurse"
)

// DebugFlags is GNU make 4.3's debug level bit set.
type DebugFlags uint

// Debug bits, as make's db_level. --debug=i and =m and =v also set basic.
const (
	DebugBasic     DebugFlags = 0x001
	DebugVerbose   DebugFlags = 0x002
	DebugJobs      DebugFlags = 0x004
	DebugImplicit  DebugFlags = 0x008
	DebugMakefiles DebugFlags = 0x100
	DebugAllFlags  DebugFlags = 0xfff
)

// ShouldPrintDirectory reports whether "Entering/Leaving directory" lines
// are printed, as 4.3 decides it: -w turns them on (even with -s),
// --no-print-directory turns them off; otherwise they are on when -C was
// given or MakeLevel > 0, unless -s is in effect. MakeFlags writes "w"
// exactly when this is true.
func (o *Options) ShouldPrintDirectory() bool {
	switch o.PrintDirectory {
	case TriOn:
		return true
	case TriOff:
		return false
	}
	return !o.Silent && (len(o.Dirs) > 0 || o.MakeLevel > 0)
}

func newOptions() *Options {
	return &Options{Jobs: 1, LoadAverage: -1}
}
