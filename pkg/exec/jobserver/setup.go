package jobserver

import (
	"errors"
	"fmt"
)

// UnavailableWarning is what GNU make 4.3 prints when MAKEFLAGS names a
// jobserver whose fds it did not inherit. program is the message prefix
// ("make", "make[1]"). It ends in a newline.
func UnavailableWarning(program string) string {
	return program + ": warning: jobserver unavailable: using -j1.  Add '+' to parent make rule.\n"
}

// ForcedWarning is what GNU make 4.3 prints when a sub-make is given -jN on
// its own command line while a jobserver exists (jobs is 0 for a bare -j).
// It ends in a newline.
func ForcedWarning(program string, jobs int) string {
	return fmt.Sprintf("%s: warning: -j%d forced in submake: resetting jobserver mode.\n", program, jobs)
}

// Config is what decides a make process's jobserver at start-up.
type Config struct {
	Program   string // message prefix: "make", "make[1]"
	Makeflags string // MAKEFLAGS as inherited from the environment
	// Jobs is the -j in effect (from MAKEFLAGS or the command line); 0 means
	// unlimited (-j with no number), 1 no parallelism.
	Jobs int
	// JobsOnCommandLine is set when -j was given on this process's own
	// command line, which overrides an inherited jobserver.
	JobsOnCommandLine bool
	Style             Style // for a new server
}

// Setup makes GNU make 4.3's start-up decision: join the inherited
// jobserver; or, when -j was forced on the command line of a sub-make or
// no jobserver was inherited, create one for Jobs > 1. It returns the
// jobserver (nil for none), the number of jobs to run at most, and the
// warnings to print on stderr. An inherited jobserver that is not open here
// means -j1, with a warning. The error is an *AuthError (GNU make stops
// with exit status 2) or a failure to create the jobserver.
func Setup(cfg Config) (js *Jobserver, jobs int, warnings string, err error) {
	auth, inherited, err := ParseMakeflags(cfg.Makeflags)
	if err != nil {
		return nil, 0, "", err
	}
	jobs = cfg.Jobs
	if inherited && cfg.JobsOnCommandLine {
		warnings = ForcedWarning(cfg.Program, cfg.Jobs)
		inherited = false
	}
	if inherited {
		js, err := Join(auth)
		if errors.Is(err, ErrUnavailable) {
			return nil, 1, UnavailableWarning(cfg.Program), nil
		}
		return js, jobs, "", err
	}
	if jobs < 2 {
		return nil, jobs, warnings, nil
	}
	js, err = NewServer(jobs, cfg.Style)
	return js, jobs, warnings, err
}
