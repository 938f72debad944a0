package jobserver

import (
	"fmt"
	"strconv"
	"strings"
)

// Auth names a jobserver as MAKEFLAGS does.
type Auth struct {
	R, W int    // the pipe's read and write fds; -1 for a fifo
	Fifo string // the fifo's path (GNU make 4.4's "fifo:PATH"); "" for a pipe
}

// String is the MAKEFLAGS word that passes a on: "--jobserver-auth=3,4" or
// "--jobserver-auth=fifo:/tmp/x".
func (a Auth) String() string {
	if a.Fifo != "" {
		return "--jobserver-auth=fifo:" + a.Fifo
	}
	return fmt.Sprintf("--jobserver-auth=%d,%d", a.R, a.W)
}

// ParseMakeflags finds the jobserver in a MAKEFLAGS value: GNU make 4.3's
// --jobserver-auth=R,W, 4.4's --jobserver-auth=fifo:PATH, or the older
// --jobserver-fds=R,W. ok is false when there is none; the last one wins
// when there are several. Words after "--" are variable assignments and
// are not looked at.
func ParseMakeflags(makeflags string) (auth Auth, ok bool, err error) {
	for _, w := range strings.Fields(makeflags) {
		if w == "--" {
			break
		}
		v, found := strings.CutPrefix(w, "--jobserver-auth=")
		if !found {
			v, found = strings.CutPrefix(w, "--jobserver-fds=")
		}
		if !found {
			continue
		}
		if auth, err = parseAuth(v); err != nil {
			return Auth{}, false, err
		}
		ok = true
	}
	return auth, ok, nil
}

// parseAuth reads the value of --jobserver-auth.
func parseAuth(v string) (Auth, error) {
	if path, ok := strings.CutPrefix(v, "fifo:"); ok && path != "" {
		return Auth{R: -1, W: -1, Fifo: path}, nil
	}
	rs, ws, ok := strings.Cut(v, ",")
	r, rerr := strconv.Atoi(rs)
	w, werr := strconv.Atoi(ws)
	if !ok || rerr != nil || werr != nil || r < 0 || w < 0 {
		return Auth{}, &AuthError{Value: v}
	}
	return Auth{R: r, W: w}, nil
}

// AuthError is a --jobserver-auth value that cannot be understood. GNU
// make stops on it: Error gives its message (without the program name).
type AuthError struct{ Value string }

func (e *AuthError) Error() string {
	return fmt.Sprintf("*** internal error: invalid --jobserver-auth string '%s'.  Stop.", e.Value)
}
