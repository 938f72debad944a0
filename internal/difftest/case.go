package difftest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A Case is one differential test: files to write into an empty directory and
// a command line to run there.
type Case struct {
	Name      string            // "group/name", from the file's path
	Note      string            // the comment's '#' lines, without the '#'
	Args      []string          // command-line arguments after "make"
	Env       []string          // NAME=value pairs added to the base environment
	Stdin     string            // name of an archive file fed to make's stdin; "" for an empty stdin
	Skip      string            // reason the case is skipped; "" to run it
	Files     []File            // files written before each run, in archive order
	MTimes    []MTime           // modification times set after writing
	Links     []Symlink         // symbolic links created after writing
	Timeout   time.Duration     // limit for one run; 0 means the runner's default
	Signals   []Signal          // signals sent to the run when files appear
	modes     map[string]uint32 // file permission overrides from chmod directives
	noNewline []string          // files whose final newline is removed, after gen
}

// A File is one file of a case. Mode is its permission bits.
type File struct {
	Name string
	Data []byte
	Mode os.FileMode
}

// An MTime sets a file's modification time to now plus Offset.
type MTime struct {
	Name   string
	Offset time.Duration
}

// A Symlink is a link Name whose content is Target.
type Symlink struct {
	Name   string
	Target string
}

// Load reads the case at path. Its name is the path's last two elements
// without the .txt suffix ("lang-func/subst").
func Load(path string) (*Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(filepath.Dir(path)) + "/" + strings.TrimSuffix(filepath.Base(path), ".txt")
	c, err := Parse(name, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Parse reads a case from txtar data. Directives are the comment's lines of
// the form "directive: value"; blank lines and lines starting with '#' are
// notes. An unknown directive is an error, so a misspelt one cannot be
// silently ignored.
func Parse(name string, data []byte) (*Case, error) {
	comment, files := parseArchive(data)
	c := &Case{Name: name, modes: map[string]uint32{}}
	for _, f := range files {
		if err := checkRelPath(f.Name); err != nil {
			return nil, err
		}
		c.Files = append(c.Files, File{Name: f.Name, Data: f.Data, Mode: 0o644})
	}
	for i, line := range strings.Split(string(comment), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			c.Note += strings.TrimSpace(line[1:]) + "\n"
			continue
		}
		if line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: not a directive (want \"name: value\", or '#' for a note): %q", i+1, line)
		}
		if err := c.directive(strings.TrimSpace(key), strings.TrimSpace(value)); err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", i+1, key, err)
		}
	}
	err := c.editFiles(c.noNewline, func(f *File) error {
		if len(f.Data) == 0 || f.Data[len(f.Data)-1] != '\n' {
			return fmt.Errorf("%s does not end in a newline", f.Name)
		}
		f.Data = f.Data[:len(f.Data)-1]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("no-final-newline: %w", err)
	}
	for name, mode := range c.modes {
		f := c.file(name)
		if f == nil {
			return nil, fmt.Errorf("chmod: no file %q in the archive", name)
		}
		f.Mode = os.FileMode(mode)
	}
	if c.Stdin != "" && c.file(c.Stdin) == nil {
		return nil, fmt.Errorf("stdin: no file %q in the archive", c.Stdin)
	}
	return c, nil
}

// directive applies one directive line to c.
func (c *Case) directive(key, value string) error {
	switch key {
	case "args":
		words, err := splitWords(value)
		c.Args = append(c.Args, words...)
		return err
	case "env":
		if n, _, ok := strings.Cut(value, "="); !ok || n == "" {
			return fmt.Errorf("want NAME=value, got %q", value)
		}
		c.Env = append(c.Env, value)
	case "stdin":
		c.Stdin = value
	case "skip":
		if value == "" {
			return fmt.Errorf("a skip needs a reason")
		}
		c.Skip = value
	case "timeout":
		d, err := time.ParseDuration(value)
		c.Timeout = d
		return err
	default:
		return c.fileDirective(key, value)
	}
	return nil
}

// fileDirective applies a directive that changes the case's files.
func (c *Case) fileDirective(key, value string) error {
	words, err := splitWords(value)
	if err != nil {
		return err
	}
	switch key {
	case "mtime":
		if len(words) != 2 {
			return fmt.Errorf("want \"file ±duration\", got %q", value)
		}
		d, err := time.ParseDuration(words[1])
		c.MTimes = append(c.MTimes, MTime{Name: words[0], Offset: d})
		return err
	case "chmod":
		if len(words) != 2 {
			return fmt.Errorf("want \"file octal-mode\", got %q", value)
		}
		m, err := strconv.ParseUint(words[1], 8, 32)
		c.modes[words[0]] = uint32(m)
		return err
	case "symlink":
		if len(words) != 3 || words[1] != "->" {
			return fmt.Errorf("want \"link -> target\", got %q", value)
		}
		c.Links = append(c.Links, Symlink{Name: words[0], Target: words[2]})
		return checkRelPath(words[0])
	case "no-final-newline":
		c.noNewline = append(c.noNewline, words...)
		return nil
	case "gen":
		return c.gen(words)
	case "signal":
		sig, err := parseSignal(words)
		c.Signals = append(c.Signals, sig)
		return err
	}
	return fmt.Errorf("unknown directive")
}

// gen appends text repeated count times, then a newline, to a file (creating
// it if the archive has none), without the archive file's own final newline.
func (c *Case) gen(words []string) error {
	if len(words) != 3 {
		return fmt.Errorf("want \"file count text\"")
	}
	n, err := strconv.Atoi(words[1])
	if err != nil || n < 0 || n*len(words[2]) > 16<<20 {
		return fmt.Errorf("bad count %q", words[1])
	}
	f := c.file(words[0])
	if f == nil {
		if err := checkRelPath(words[0]); err != nil {
			return err
		}
		c.Files = append(c.Files, File{Name: words[0], Mode: 0o644})
		f = &c.Files[len(c.Files)-1]
	}
	data := strings.TrimSuffix(string(f.Data), "\n") + strings.Repeat(words[2], n) + "\n"
	f.Data = []byte(data)
	return nil
}

// editFiles calls edit on each named archive file.
func (c *Case) editFiles(names []string, edit func(*File) error) error {
	for _, n := range names {
		f := c.file(n)
		if f == nil {
			return fmt.Errorf("no file %q in the archive", n)
		}
		if err := edit(f); err != nil {
			return err
		}
	}
	return nil
}

// file returns the archive file called name, or nil.
func (c *Case) file(name string) *File {
	for i := range c.Files {
		if c.Files[i].Name == name {
			return &c.Files[i]
		}
	}
	return nil
}

// checkRelPath rejects names that would escape the case directory.
func checkRelPath(name string) error {
	clean := filepath.Clean(name)
	if filepath.IsAbs(name) || clean == "." || clean == ".." || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("file name %q must be relative and stay inside the case directory", name)
	}
	return nil
}

// LoadAll loads every case under dir, which holds one directory per group
// with one .txt file per case, in name order.
func LoadAll(dir string) ([]*Case, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*", "*.txt"))
	if err != nil {
		return nil, err
	}
	var cases []*Case
	for _, p := range paths {
		c, err := Load(p)
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, nil
}
