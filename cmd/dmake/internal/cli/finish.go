package cli

import (
	"fmt"
	"strings"
)

// finish does what make does once all switches are read.
func (o *Options) finish() error {
	o.Debug = 0
	if o.DebugAll {
		o.Debug = DebugAllFlags
	}
	for _, spec := range o.DebugSpecs {
		lvl, bad, ok := decodeDebug(o.Debug, spec)
		if !ok {
			return o.fatal(nil, fmt.Sprintf("unknown debug level specification '%s'", bad))
		}
		o.Debug = lvl
	}
	if o.Debug == 0 {
		o.DebugAll = false // "-d --debug=n": make forgets the -d too
	}
	switch o.OutputSync {
	case "", OutputSyncNone, OutputSyncLine, OutputSyncTarget, OutputSyncRecurse:
	default:
		return o.fatal(nil, fmt.Sprintf("unknown output-sync type '%s'", string(o.OutputSync)))
	}
	return nil
}

// decodeDebug folds one --debug argument into lvl. Only the first letter
// of each word counts, case-insensitively; words end at ',' or ' '. On a
// bad word it returns the rest of the argument from there, as make
// prints it.
func decodeDebug(lvl DebugFlags, spec string) (DebugFlags, string, bool) {
	for p := 0; p < len(spec); {
		switch spec[p] | 0x20 {
		case 'a':
			lvl |= DebugAllFlags
		case 'b':
			lvl |= DebugBasic
		case 'i':
			lvl |= DebugBasic | DebugImplicit
		case 'j':
			lvl |= DebugJobs
		case 'm':
			lvl |= DebugBasic | DebugMakefiles
		case 'n':
			lvl = 0
		case 'v':
			lvl |= DebugBasic | DebugVerbose
		default:
			return lvl, spec[p:], false
		}
		for p++; p < len(spec); p++ {
			if spec[p] == ',' || spec[p] == ' ' {
				p++
				break
			}
		}
	}
	return lvl, "", true
}

func (o *Options) fatal(before []string, msg string) *Exit {
	var b strings.Builder
	for _, l := range before {
		b.WriteString(l + "\n")
	}
	fmt.Fprintf(&b, "%s: *** %s.  Stop.\n", o.Program, msg)
	e := &Exit{Code: 2, Stderr: b.String()}
	if o.ShowVersion {
		e.Stdout = o.VersionText()
	}
	return e
}

// withWarnings puts o.Warnings[from:] (printed by make before it
// stopped) in front of an *Exit's stderr.
func (o *Options) withWarnings(err error, from int) error {
	e, ok := err.(*Exit)
	if !ok || len(o.Warnings) <= from {
		return err
	}
	e.Stderr = strings.Join(o.Warnings[from:], "\n") + "\n" + e.Stderr
	return e
}

func (o *Options) usageExit(lines []string, bad bool) *Exit {
	var out strings.Builder
	if o.ShowVersion {
		out.WriteString(o.VersionText())
	}
	if !bad {
		out.WriteString(o.UsageText())
		return &Exit{Stdout: out.String()}
	}
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString(o.UsageText())
	return &Exit{Code: 2, Stdout: out.String(), Stderr: b.String()}
}

func splitAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}
