package cli

// kind is how a switch takes its value, as in make's command_switch.
type kind int

const (
	kFlag     kind = iota // turns a boolean on
	kFlagOff              // turns a boolean off
	kString               // one string, the last given wins
	kStrlist              // one string per use, all kept
	kFilename             // like kStrlist, for file names
	kPosInt               // a positive integer (-j)
	kFloat                // a floating-point number (-l)
	kIgnore               // accepted and ignored (-b, -m)
)

// Identities of the switches that have no short letter.
const (
	idDebug = 256 + iota
	idJobserverAuth
	idTrace
	idNoPrintDirectory
	idWarnUndefined
	idSyncMutex
	idNoSilent
	idJobserverFds
	idCluster
	idDetach
	idNoCluster
)

// opt is one switch. Its order in switches is the order MAKEFLAGS is
// written in, and the order getopt lists ambiguous candidates in.
type opt struct {
	id         int    // the short letter, or an id* constant
	long       string // long name, "" if none
	kind       kind
	env        bool // honoured when read from MAKEFLAGS
	toEnv      bool // written to MAKEFLAGS
	noMakefile bool // left out of MAKEFLAGS while remaking makefiles
	optional   bool // the argument may be omitted
	exactOnly  bool // dmake's own: matched only by its full name
}

func (o *opt) short() bool { return o.id < 256 }

func (o *opt) takesArg() bool { return o.kind != kFlag && o.kind != kFlagOff && o.kind != kIgnore }

// switches is GNU make 4.3's table (main.c), plus dmake's cluster flags.
var switches = []opt{
	{id: 'b', kind: kIgnore},
	{id: 'B', long: "always-make", kind: kFlag, env: true, toEnv: true},
	{id: 'd', kind: kFlag, env: true, toEnv: true},
	{id: 'e', long: "environment-overrides", kind: kFlag, env: true, toEnv: true},
	{id: 'E', long: "eval", kind: kStrlist, env: true},
	{id: 'h', long: "help", kind: kFlag},
	{id: 'i', long: "ignore-errors", kind: kFlag, env: true, toEnv: true},
	{id: 'k', long: "keep-going", kind: kFlag, env: true, toEnv: true},
	{id: 'L', long: "check-symlink-times", kind: kFlag, env: true, toEnv: true},
	{id: 'm', kind: kIgnore},
	{id: 'n', long: "just-print", kind: kFlag, env: true, toEnv: true, noMakefile: true},
	{id: 'p', long: "print-data-base", kind: kFlag, env: true, toEnv: true},
	{id: 'q', long: "question", kind: kFlag, env: true, toEnv: true, noMakefile: true},
	{id: 'r', long: "no-builtin-rules", kind: kFlag, env: true, toEnv: true},
	{id: 'R', long: "no-builtin-variables", kind: kFlag, env: true, toEnv: true},
	{id: 's', long: "silent", kind: kFlag, env: true, toEnv: true},
	{id: 'S', long: "no-keep-going", kind: kFlagOff, env: true, toEnv: true},
	{id: 't', long: "touch", kind: kFlag, env: true, toEnv: true, noMakefile: true},
	{id: 'v', long: "version", kind: kFlag, env: true},
	{id: 'w', long: "print-directory", kind: kFlag, env: true, toEnv: true},

	{id: 'C', long: "directory", kind: kFilename},
	{id: 'f', long: "file", kind: kFilename},
	{id: 'I', long: "include-dir", kind: kFilename, env: true, toEnv: true},
	{id: 'j', long: "jobs", kind: kPosInt, env: true, toEnv: true, optional: true},
	{id: 'l', long: "load-average", kind: kFloat, env: true, toEnv: true, optional: true},
	{id: 'o', long: "old-file", kind: kFilename},
	{id: 'O', long: "output-sync", kind: kString, env: true, toEnv: true, optional: true},
	{id: 'W', long: "what-if", kind: kFilename},

	{id: idDebug, long: "debug", kind: kStrlist, env: true, toEnv: true, optional: true},
	{id: idJobserverAuth, long: "jobserver-auth", kind: kString, env: true, toEnv: true},
	{id: idTrace, long: "trace", kind: kFlag, env: true, toEnv: true},
	{id: idNoPrintDirectory, long: "no-print-directory", kind: kFlag, env: true, toEnv: true},
	{id: idWarnUndefined, long: "warn-undefined-variables", kind: kFlag, env: true, toEnv: true},
	{id: idSyncMutex, long: "sync-mutex", kind: kString, env: true, toEnv: true},
	{id: idNoSilent, long: "no-silent", kind: kFlagOff, env: true, toEnv: true},
	{id: idJobserverFds, long: "jobserver-fds", kind: kString, env: true},

	{id: idCluster, long: "cluster", kind: kString, exactOnly: true},
	{id: idDetach, long: "detach", kind: kFlag, exactOnly: true},
	{id: idNoCluster, long: "no-cluster", kind: kFlag, exactOnly: true},
}

// longOpt is one entry of getopt_long's table.
type longOpt struct {
	name string
	sw   *opt
}

// longOpts is make's long option table: the switches' long names in table
// order, then make's aliases.
var longOpts = buildLongOpts()

func buildLongOpts() []longOpt {
	var l []longOpt
	for i := range switches {
		// Like make, switches without a long name get an empty one
		// (so "--=x" is "-b" given an argument).
		if !switches[i].exactOnly {
			l = append(l, longOpt{switches[i].long, &switches[i]})
		}
	}
	aliases := []struct {
		name string
		id   int
	}{
		{"quiet", 's'}, {"stop", 'S'}, {"new-file", 'W'}, {"assume-new", 'W'},
		{"assume-old", 'o'}, {"max-load", 'l'}, {"dry-run", 'n'}, {"recon", 'n'},
		{"makefile", 'f'},
	}
	for _, a := range aliases {
		l = append(l, longOpt{a.name, lookupID(a.id)})
	}
	// dmake's own come last and are never abbreviated (see getopt.long).
	for i := range switches {
		if switches[i].exactOnly {
			l = append(l, longOpt{switches[i].long, &switches[i]})
		}
	}
	return l
}

func lookupID(id int) *opt {
	for i := range switches {
		if switches[i].id == id {
			return &switches[i]
		}
	}
	panic("cli: no switch with id " + string(rune(id)))
}

// lookupShort returns the switch for a short letter, or nil.
func lookupShort(c byte) *opt {
	for i := range switches {
		if switches[i].short() && switches[i].id == int(c) {
			return &switches[i]
		}
	}
	return nil
}
