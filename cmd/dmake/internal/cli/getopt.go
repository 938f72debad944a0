package cli

import (
	"fmt"
	"strings"
)

// getopt walks an argument vector the way glibc's getopt_long does with
// make's option string, which starts with '-': words are returned in
// order, non-options included, and "--" ends the options. Error messages
// are glibc's, prefixed with argv[0] verbatim; when quiet is set (make
// decoding MAKEFLAGS sets opterr to 0) they are not produced.
type getopt struct {
	args   []string // args[0] is the program
	optind int      // next word to look at
	rest   string   // unread letters of the current short-option cluster
	done   bool     // "--" or the end was reached
	quiet  bool
	errs   *[]string // where glibc's messages go, one line each
}

// event is what one step of getopt yields.
type event struct {
	sw     *opt   // the switch; nil for a non-option word or an error
	arg    string // the switch's argument, or the non-option word
	hasArg bool   // an argument was attached (or required and taken)
	word   bool   // arg is a non-option word
	bad    bool   // getopt rejected the word (its message is in errs)
}

func newGetopt(args []string, quiet bool, errs *[]string) *getopt {
	return &getopt{args: args, optind: 1, quiet: quiet, errs: errs}
}

func (g *getopt) errorf(format string, a ...any) {
	if !g.quiet {
		*g.errs = append(*g.errs, g.args[0]+": "+fmt.Sprintf(format, a...))
	}
}

// next returns the next event, or false at "--" or the end. After it
// returns false, g.remaining() are the words left, all non-options.
func (g *getopt) next() (event, bool) {
	if g.rest == "" {
		if g.done || g.optind >= len(g.args) {
			return event{}, false
		}
		a := g.args[g.optind]
		if a == "--" {
			g.optind++
			g.done = true
			return event{}, false
		}
		if len(a) < 2 || a[0] != '-' {
			g.optind++
			return event{arg: a, word: true}, true
		}
		g.optind++
		if strings.HasPrefix(a, "--") {
			return g.long(a[2:]), true
		}
		g.rest = a[1:]
	}
	return g.short(), true
}

func (g *getopt) remaining() []string {
	if g.optind >= len(g.args) {
		return nil
	}
	return g.args[g.optind:]
}

func (g *getopt) short() event {
	c := g.rest[0]
	g.rest = g.rest[1:]
	sw := lookupShort(c)
	if sw == nil {
		g.errorf("invalid option -- '%s'", []byte{c}) // a byte, as glibc prints it
		return event{bad: true}
	}
	if !sw.takesArg() {
		return event{sw: sw}
	}
	if g.rest != "" {
		a := g.rest
		g.rest = ""
		return event{sw: sw, arg: a, hasArg: true}
	}
	if sw.optional {
		return event{sw: sw}
	}
	if g.optind < len(g.args) {
		g.optind++
		return event{sw: sw, arg: g.args[g.optind-1], hasArg: true}
	}
	g.errorf("option requires an argument -- '%s'", []byte{c})
	return event{bad: true}
}

// long handles "--body". An exact name wins; otherwise a unique prefix
// is accepted. Prefixes that also match options differing in argument
// style or meaning are ambiguous, listed as glibc lists them. dmake's
// own options only match exactly, so they never make an abbreviation
// that GNU make accepts ambiguous.
func (g *getopt) long(body string) event {
	name, val, hasEq := strings.Cut(body, "=")
	var found *longOpt
	for i := range longOpts {
		if longOpts[i].name == name {
			found = &longOpts[i]
			break
		}
	}
	if found == nil {
		var ambig []string
		for i := range longOpts {
			lo := &longOpts[i]
			if lo.sw.exactOnly || !strings.HasPrefix(lo.name, name) {
				continue
			}
			if found == nil {
				found = lo
			} else if found.sw != lo.sw {
				if ambig == nil {
					ambig = []string{found.name}
				}
				ambig = append(ambig, lo.name)
			}
		}
		if ambig != nil {
			var b strings.Builder
			fmt.Fprintf(&b, "option '--%s' is ambiguous; possibilities:", body)
			for _, n := range ambig {
				fmt.Fprintf(&b, " '--%s'", n)
			}
			g.errorf("%s", b.String())
			return event{bad: true}
		}
	}
	if found == nil {
		g.errorf("unrecognized option '--%s'", body)
		return event{bad: true}
	}
	sw := found.sw
	switch {
	case hasEq && !sw.takesArg():
		g.errorf("option '--%s' doesn't allow an argument", found.name)
		return event{bad: true}
	case hasEq:
		return event{sw: sw, arg: val, hasArg: true}
	case !sw.takesArg() || sw.optional:
		return event{sw: sw}
	case g.optind < len(g.args):
		g.optind++
		return event{sw: sw, arg: g.args[g.optind-1], hasArg: true}
	}
	g.errorf("option '--%s' requires an argument", found.name)
	return event{bad: true}
}
