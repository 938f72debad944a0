package cli

import (
	"fmt"
)

// decoder applies one argument vector to Options: make's decode_switches.
type decoder struct {
	o     *Options
	env   bool     // the vector came from MAKEFLAGS
	late  bool     // ... read again after the makefiles
	bad   bool     // some switch was invalid
	lines []string // messages so far: glibc's and make's, in order
}

func (d *decoder) decode(args []string) error {
	g := newGetopt(args, d.env, &d.lines)
	for {
		ev, ok := g.next()
		if !ok {
			break
		}
		switch {
		case ev.bad:
			d.bad = true
		case ev.word:
			if err := d.word(ev.arg); err != nil {
				return err
			}
		default:
			d.apply(g, ev)
		}
	}
	for _, w := range g.remaining() {
		if err := d.word(w); err != nil {
			return err
		}
	}
	return nil
}

// word handles a non-option word: a variable definition, or a goal.
func (d *decoder) word(w string) error {
	if w == "-" {
		return nil // make ignores a plain "-"
	}
	v, ok := ParseVariable(w)
	if !ok {
		switch {
		case d.env:
		case w == "":
			return d.o.fatal(d.lines, "empty string invalid as file name")
		default:
			d.o.Goals = append(d.o.Goals, w)
		}
		return nil
	}
	if v.Name == "" {
		if d.env { // applyEnv moves d.lines to Warnings
			return d.o.fatal(nil, "empty variable name")
		}
		return d.o.fatal(d.lines, "empty variable name")
	}
	v.FromMakeFlags = d.env
	d.o.Variables = append(d.o.Variables, v)
	if d.late {
		return nil // -*-command-variables-*- is already defined by then
	}
	for _, n := range d.o.varOrder {
		if n == v.Name {
			return nil
		}
	}
	d.o.varOrder = append(d.o.varOrder, v.Name)
	return nil
}

func (d *decoder) complain(format string, a ...any) {
	d.lines = append(d.lines, d.o.Program+": "+fmt.Sprintf(format, a...))
	d.bad = true
}

func (d *decoder) apply(g *getopt, ev event) {
	sw := ev.sw
	doit := !d.env || (sw.env && !sw.exactOnly)
	switch sw.kind {
	case kFlag, kFlagOff:
		if doit {
			d.o.setFlag(sw.id, sw.kind == kFlag)
		}
	case kString, kStrlist, kFilename:
		if !doit {
			return
		}
		arg := ev.arg
		if !ev.hasArg {
			arg = noArgValue(sw.id)
		} else if arg == "" {
			if sw.short() {
				d.complain("the '-%c' option requires a non-empty string argument", sw.id)
			} else {
				d.complain("the '--%s' option requires a non-empty string argument", sw.long)
			}
			return
		}
		if sw.id == 'E' && d.late {
			return
		}
		d.o.setString(sw.id, arg)
	case kPosInt:
		if !ev.hasArg && g.rest == "" && g.optind < len(g.args) && allDigits(g.args[g.optind]) {
			ev.arg, ev.hasArg = g.args[g.optind], true
			g.optind++
		}
		if !doit {
			return
		}
		n := 0 // -j alone: unlimited
		if ev.hasArg {
			n = atoi32(ev.arg)
			if n < 1 || !allDigits(ev.arg) {
				d.complain("the '-%c' option requires a positive integer argument", sw.id)
				return
			}
		}
		d.o.Jobs, d.o.JobsGiven = n, true
	case kFloat:
		if !ev.hasArg && g.rest == "" && g.optind < len(g.args) {
			if a := g.args[g.optind]; a != "" && (isDigit(a[0]) || a[0] == '.') {
				ev.arg, ev.hasArg = a, true
				g.optind++
			}
		}
		if doit {
			d.o.LoadAverage = -1
			if ev.hasArg {
				d.o.LoadAverage = atof(ev.arg)
			}
		}
	}
}

func noArgValue(id int) string {
	switch id {
	case 'O':
		return string(OutputSyncTarget)
	case idDebug:
		return "basic"
	}
	return ""
}

func (o *Options) setFlag(id int, on bool) {
	switch id {
	case 'B':
		o.AlwaysMake = on
	case 'd':
		o.DebugAll = on
	case 'e':
		o.EnvOverrides = on
	case 'h':
		o.ShowHelp = on
	case 'i':
		o.IgnoreErrors = on
	case 'k', 'S':
		o.KeepGoing = on
	case 'L':
		o.CheckSymlinks = on
	case 'n':
		o.DryRun = on
	case 'p':
		o.PrintDataBase = on
	case 'q':
		o.Question = on
	case 'r':
		o.NoBuiltinRules = on
	case 'R':
		o.NoBuiltinVars = on
	case 's', idNoSilent:
		o.Silent = on
	case 't':
		o.Touch = on
	case 'v':
		o.ShowVersion = on
	case 'w':
		if o.PrintDirectory != TriOff {
			o.PrintDirectory = TriOn
		}
	case idNoPrintDirectory:
		o.PrintDirectory = TriOff
	case idTrace:
		o.Trace = on
	case idWarnUndefined:
		o.WarnUndefined = on
	case idDetach:
		o.Cluster.Detach = on
	case idNoCluster:
		o.Cluster.NoCluster = on
	}
}

func (o *Options) setString(id int, arg string) {
	switch id {
	case 'C':
		o.Dirs = append(o.Dirs, arg)
	case 'f':
		o.Makefiles = append(o.Makefiles, arg)
	case 'I':
		o.IncludeDirs = append(o.IncludeDirs, arg)
	case 'o':
		o.OldFiles = append(o.OldFiles, arg)
	case 'W':
		o.NewFiles = append(o.NewFiles, arg)
	case 'E':
		o.Evals = append(o.Evals, arg)
	case 'O':
		o.OutputSync = OutputSync(arg)
	case idDebug:
		o.DebugSpecs = append(o.DebugSpecs, arg)
	case idJobserverAuth, idJobserverFds:
		o.JobserverAuth = arg
	case idSyncMutex:
		o.SyncMutex = arg
	case idCluster:
		o.Cluster.Addrs = append(o.Cluster.Addrs, splitAddrs(arg)...)
	}
}
