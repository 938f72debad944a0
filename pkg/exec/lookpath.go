package exec

import (
	"strings"
	"syscall"
)

// lookPath finds the program a direct line names, in the PATH of the
// child's environment (not dmake's own), as GNU make does. A name with a
// slash is used as is. With no PATH at all nothing is found. An empty PATH
// element means the current directory. When only files we may not execute
// were found the error is EACCES, as execvp reports it.
func lookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	path, ok := envValue(env, "PATH")
	if !ok {
		return "", syscall.ENOENT
	}
	denied := false
	for dir := range strings.SplitSeq(path, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		switch err := executable(p); err {
		case nil:
			return p, nil
		case syscall.EACCES:
			denied = true
		}
	}
	if denied {
		return "", syscall.EACCES
	}
	return "", syscall.ENOENT
}

// executable reports whether p is a file (not a directory) we may execute.
func executable(p string) error {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return err
	}
	if st.Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return syscall.EACCES
	}
	return syscall.Access(p, 1 /* X_OK */)
}

// envValue returns the value of key in env as getenv in the child will see
// it: the first assignment wins (env reaches execve as given).
func envValue(env []string, key string) (string, bool) {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, key); ok && strings.HasPrefix(v, "=") {
			return v[1:], true
		}
	}
	return "", false
}
