// Package cli reads dmake's command line exactly as GNU make 4.3 reads
// its own, and writes MAKEFLAGS and MFLAGS back for recursive makes.
//
// It sits at the very front of the pipeline: cmd/dmake calls Parse with
// os.Args and os.Getenv, gets Options (or an *Exit to print and exit
// with), and hands the pieces to the makefile evaluator (Variables,
// Evals, IncludeDirs, Makefiles), the planner (Goals, OldFiles,
// NewFiles, AlwaysMake, ...), the executor (Jobs, KeepGoing, DryRun,
// OutputSync, ...) and the cluster client (Cluster). It knows nothing
// of makefiles or processes.
//
// # Reading
//
// Parse emulates glibc getopt_long over make's switch table: bundled
// short switches ("-kj4"), attached or separate arguments ("-Cdir",
// "-C dir"), optional arguments only when attached ("-O" means
// "-Otarget"; "-O line" is -O then the goal "line"), except that -j and
// -l take the next word when it looks like a number ("-j 4", "-l 2.5";
// "-j foo" is -j then the goal "foo"). Long options take "=value" or,
// when required, the next word; unambiguous prefixes are accepted
// ("--jobs=4", "--dry"), ambiguous ones are errors with glibc's message.
// "--" ends the switches; the rest are goals or variable definitions.
// Variable definitions ("X=1", "X:=1", "X::=1", "X+=1", "X?=1", "X!=cmd")
// may appear anywhere and are kept raw, in order.
//
// Before the arguments, GNUMAKEFLAGS and then MAKEFLAGS are read from the
// environment (MFLAGS is not), with make's rules for them: the first word
// may lack its dash, backslashes quote, "-- X=1" definitions at the end,
// switches make does not accept from MAKEFLAGS (-C -f -o -W -h) are
// skipped, and errors are ignored or become Warnings.
//
// Messages are GNU make's, byte for byte: getopt's start with args[0] as
// typed ("/usr/bin/dmake: invalid option -- 'z'"), make's own with its
// base name ("dmake: the '-j' option requires a positive integer
// argument"); an invalid switch is followed by the usage text on stderr
// and exit status 2.
//
// dmake's own switches --cluster, --detach and --no-cluster match only
// by their full names, so every abbreviation GNU make accepts means the
// same here; they are never read from nor written to MAKEFLAGS.
//
// # Writing
//
// MakeFlags and MFlags give the values make 4.3 assigns to MAKEFLAGS and
// MFLAGS at each Phase (reading makefiles, remaking them, running goals),
// which are also what children find in their environment. Examples (make
// 4.3, checked by the tests against /usr/bin/make):
//
//	make -k -s -j2 X=1   MAKEFLAGS="ks -j2 --jobserver-auth=3,4 -- X=1"
//	                     MFLAGS="-ks -j2 --jobserver-auth=3,4"
//	make -j              MAKEFLAGS=" -j"  MFLAGS="-j"
//	make -C dir          MAKEFLAGS="w"    (-C implies -w unless -s)
//	make -R              MAKEFLAGS="rR"   (-R implies -r)
//	make 'X=a b' 'Y=$$'  MAKEFLAGS=" -- Y=$$$$ X=a\ b"
//
// The caller fills JobserverAuth when it runs a jobserver and supplies
// the command-line variables' final values (VarLookup), which only the
// makefile evaluator can compute for ":=", "+=" and "!=".
//
// # Recursion (for the caller)
//
// MakeLevel is read from MAKELEVEL (leading digits; 0 if absent, empty or
// negative); children must get MAKELEVEL=MakeLevel+1 and messages use
// "dmake[N]:" when N > 0. Entering/Leaving directory lines are printed
// when ShouldPrintDirectory says so. When Debug has DebugBasic (-d,
// --debug, --debug=b/i/m/v), make prints VersionText before reading
// makefiles. With -v and -p make
// also prints its (built-in) data base before exiting.
package cli
