package eval

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/dmake/dmake/pkg/graph/syntax"
)

// builtin is one function of the language. raw functions (foreach, if, or,
// and) get their arguments unexpanded and expand them themselves.
type builtin struct {
	min, max int
	raw      bool
	fn       func(e *Evaluator, b *[]byte, args []string, c *syntax.Call)
}

var builtins map[string]*builtin

func init() {
	builtins = map[string]*builtin{
		"abspath":    {0, 1, false, fnAbspath},
		"addprefix":  {2, 2, false, fnAddprefix},
		"addsuffix":  {2, 2, false, fnAddsuffix},
		"basename":   {0, 1, false, fnBasename},
		"dir":        {0, 1, false, fnDir},
		"notdir":     {0, 1, false, fnNotdir},
		"subst":      {3, 3, false, fnSubst},
		"suffix":     {0, 1, false, fnSuffix},
		"filter":     {2, 2, false, fnFilter},
		"filter-out": {2, 2, false, fnFilterOut},
		"findstring": {2, 2, false, fnFindstring},
		"firstword":  {0, 1, false, fnFirstword},
		"flavor":     {0, 1, false, fnFlavor},
		"join":       {2, 2, false, fnJoin},
		"lastword":   {0, 1, false, fnLastword},
		"patsubst":   {3, 3, false, fnPatsubst},
		"realpath":   {0, 1, false, fnRealpath},
		"shell":      {0, 1, false, fnShell},
		"sort":       {0, 1, false, fnSort},
		"strip":      {0, 1, false, fnStrip},
		"wildcard":   {0, 1, false, fnWildcard},
		"word":       {2, 2, false, fnWord},
		"wordlist":   {3, 3, false, fnWordlist},
		"words":      {0, 1, false, fnWords},
		"origin":     {0, 1, false, fnOrigin},
		"foreach":    {3, 3, true, fnForeach},
		"call":       {1, 0, false, fnCall},
		"info":       {0, 1, false, fnInfo},
		"error":      {0, 1, false, fnError},
		"warning":    {0, 1, false, fnWarning},
		"if":         {2, 3, true, fnIf},
		"or":         {1, 0, true, fnOr},
		"and":        {1, 0, true, fnAnd},
		"value":      {0, 1, false, fnValue},
		"eval":       {0, 1, false, fnEval},
		"file":       {1, 2, false, fnFile},
	}
	for name, f := range builtins {
		syntax.Funcs[name] = syntax.FuncArity{Min: f.min, Max: f.max}
	}
}

func (e *Evaluator) call(b *[]byte, c *syntax.Call) {
	f := builtins[c.Fn]
	if len(c.Args) < f.min {
		e.Fatalf(e.errPos(), "insufficient number of arguments (%d) to function '%s'", len(c.Args), c.Fn)
	}
	var args []string
	if !f.raw {
		args = make([]string, len(c.Args))
		for i, a := range c.Args {
			args[i] = e.ExpandExpr(a)
		}
	}
	f.fn(e, b, args, c)
}

// isWS reports whether c separates words.
func isWS(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// Fields splits text into words as make does.
func Fields(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		for i < len(s) && isWS(s[i]) {
			i++
		}
		j := i
		for j < len(s) && !isWS(s[j]) {
			j++
		}
		if j > i {
			out = append(out, s[i:j])
		}
		i = j
	}
	return out
}

func appendWords(b *[]byte, words []string) {
	for i, w := range words {
		if i > 0 {
			*b = append(*b, ' ')
		}
		*b = append(*b, w...)
	}
}

// wordAppender writes words separated by single spaces. An empty word
// still gets its separator, as GNU make writes them.
type wordAppender struct {
	b     *[]byte
	first bool
}

func newWordAppender(b *[]byte) *wordAppender { return &wordAppender{b: b, first: true} }

func (w *wordAppender) add(s string) {
	if !w.first {
		*w.b = append(*w.b, ' ')
	}
	w.first = false
	*w.b = append(*w.b, s...)
}

func fnSubst(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	if a[0] == "" {
		*b = append(*b, a[2]...)
		*b = append(*b, a[1]...)
		return
	}
	*b = append(*b, strings.ReplaceAll(a[2], a[0], a[1])...)
}

// findPercent returns the index of the first unescaped '%' in a pattern
// and the pattern with its escaping backslashes removed, as GNU make's
// find_percent does. idx is -1 when there is none.
func findPercent(p string) (string, int) {
	i := strings.IndexByte(p, '%')
	if i < 0 {
		return p, -1
	}
	if strings.IndexByte(p[:i], '\\') < 0 {
		return p, i
	}
	var out []byte
	for {
		n := 0
		for j := i - 1; j >= 0 && p[j] == '\\'; j-- {
			n++
		}
		// Keep half the backslashes; an odd count escapes the '%'.
		out = append(out, p[:i-n+n/2]...)
		if n%2 == 0 {
			idx := len(out)
			out = append(out, p[i:]...)
			return string(out), idx
		}
		out = append(out, '%')
		p = p[i+1:]
		i = strings.IndexByte(p, '%')
		if i < 0 {
			out = append(out, p...)
			return string(out), -1
		}
	}
}

// Pattern is a parsed make pattern: prefix%suffix, or a literal word.
type Pattern struct {
	Prefix, Suffix string
	HasPercent     bool
}

// ParsePattern parses a pattern, handling backslash-escaped '%'.
func ParsePattern(p string) Pattern {
	s, i := findPercent(p)
	if i < 0 {
		return Pattern{Prefix: s}
	}
	return Pattern{Prefix: s[:i], Suffix: s[i+1:], HasPercent: true}
}

// Match returns the stem if w matches the pattern.
func (p Pattern) Match(w string) (string, bool) {
	if !p.HasPercent {
		return "", w == p.Prefix
	}
	if len(w) < len(p.Prefix)+len(p.Suffix) || !strings.HasPrefix(w, p.Prefix) || !strings.HasSuffix(w, p.Suffix) {
		return "", false
	}
	return w[len(p.Prefix) : len(w)-len(p.Suffix)], true
}

// Subst returns the pattern with '%' replaced by stem (the pattern itself
// when it has no '%').
func (p Pattern) Subst(stem string) string {
	if !p.HasPercent {
		return p.Prefix
	}
	return p.Prefix + stem + p.Suffix
}

// patsubst replaces words matching pat, as GNU make's patsubst_expand: a
// word that matches and is replaced by nothing gets no separator, unless
// the replacement has a '%' (subst refs always have one).
func patsubst(text, pat, rep string) string {
	pp := ParsePattern(pat)
	if !pp.HasPercent {
		// No stem: the replacement is used as it is, '%' included.
		to := ParsePattern(rep)
		if to.HasPercent {
			return substWords(text, pp.Prefix, to.Prefix+"%"+to.Suffix)
		}
		return substWords(text, pp.Prefix, to.Prefix)
	}
	rp := ParsePattern(rep)
	var b []byte
	done := false
	for _, word := range Fields(text) {
		stem, ok := pp.Match(word)
		if !ok {
			b = append(b, word...)
		} else {
			b = append(b, rp.Prefix...)
			if rp.HasPercent {
				b = append(b, stem...)
				b = append(b, rp.Suffix...)
			}
		}
		if !ok || rp.Prefix != "" || (rp.HasPercent && len(word)+len(rp.Suffix) > 0) {
			b = append(b, ' ')
			done = true
		}
	}
	if done {
		b = b[:len(b)-1]
	}
	return string(b)
}

// substWords replaces whole words equal to from, keeping the text around
// them as it is (GNU make's subst_expand by word).
func substWords(text, from, to string) string {
	if from == "" {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if isWS(text[i]) {
			b.WriteByte(text[i])
			i++
			continue
		}
		j := i
		for j < len(text) && !isWS(text[j]) {
			j++
		}
		if text[i:j] == from {
			b.WriteString(to)
		} else {
			b.WriteString(text[i:j])
		}
		i = j
	}
	return b.String()
}

func fnPatsubst(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	*b = append(*b, patsubst(a[2], a[0], a[1])...)
}

func fnStrip(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	appendWords(b, Fields(arg(a, 0)))
}

func arg(a []string, i int) string {
	if i < len(a) {
		return a[i]
	}
	return ""
}

func fnFindstring(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	if strings.Contains(a[1], a[0]) {
		*b = append(*b, a[0]...)
	}
}

func filterWords(a []string, keep bool) []string {
	pats := Fields(a[0])
	parsed := make([]Pattern, len(pats))
	for i, p := range pats {
		parsed[i] = ParsePattern(p)
	}
	var out []string
	for _, w := range Fields(a[1]) {
		hit := false
		for _, p := range parsed {
			if _, ok := p.Match(w); ok {
				hit = true
				break
			}
		}
		if hit == keep {
			out = append(out, w)
		}
	}
	return out
}

func fnFilter(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	appendWords(b, filterWords(a, true))
}

func fnFilterOut(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	appendWords(b, filterWords(a, false))
}

func fnSort(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	w := Fields(arg(a, 0))
	sort.Strings(w)
	out := w[:0]
	for i, s := range w {
		if i == 0 || s != w[i-1] {
			out = append(out, s)
		}
	}
	appendWords(b, out)
}

// number parses a numeric function argument as GNU make's check_numeric.
func (e *Evaluator) number(s, which, fn string) int {
	t := strings.TrimFunc(s, func(r rune) bool { return r < 128 && isWS(byte(r)) })
	ok := t != ""
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			ok = false
		}
	}
	if !ok {
		e.Fatalf(e.errPos(), "non-numeric %s argument to '%s' function: '%s'", which, fn, s)
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		n = int(^uint(0) >> 1)
	}
	return n
}

func fnWord(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	n := e.number(a[0], "first", "word")
	if n == 0 {
		e.Fatalf(e.errPos(), "first argument to 'word' function must be greater than 0")
	}
	if w := Fields(a[1]); n <= len(w) {
		*b = append(*b, w[n-1]...)
	}
}

func fnWordlist(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	start := e.number(a[0], "first", "wordlist")
	end := e.number(a[1], "second", "wordlist")
	if start < 1 {
		e.Fatalf(e.errPos(), "invalid first argument to 'wordlist' function: '%d'", start)
	}
	w := Fields(a[2])
	if start > len(w) || end < start {
		return
	}
	if end > len(w) {
		end = len(w)
	}
	appendWords(b, w[start-1:end])
}

func fnWords(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	*b = strconv.AppendInt(*b, int64(len(Fields(arg(a, 0)))), 10)
}

func fnFirstword(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	if w := Fields(arg(a, 0)); len(w) > 0 {
		*b = append(*b, w[0]...)
	}
}

func fnLastword(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	if w := Fields(arg(a, 0)); len(w) > 0 {
		*b = append(*b, w[len(w)-1]...)
	}
}

func eachWord(b *[]byte, s string, f func(w string) (string, bool)) {
	wa := newWordAppender(b)
	for _, w := range Fields(s) {
		if r, ok := f(w); ok {
			wa.add(r)
		}
	}
}

func fnDir(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	eachWord(b, arg(a, 0), func(w string) (string, bool) {
		if i := strings.LastIndexByte(w, '/'); i >= 0 {
			return w[:i+1], true
		}
		return "./", true
	})
}

func fnNotdir(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	eachWord(b, arg(a, 0), func(w string) (string, bool) {
		return w[strings.LastIndexByte(w, '/')+1:], true
	})
}

// suffixIndex is the index of a word's suffix dot, or -1.
func suffixIndex(w string) int {
	i := strings.LastIndexByte(w, '.')
	if i < 0 || strings.LastIndexByte(w, '/') > i {
		return -1
	}
	return i
}

func fnSuffix(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	eachWord(b, arg(a, 0), func(w string) (string, bool) {
		if i := suffixIndex(w); i >= 0 {
			return w[i:], true
		}
		return "", false
	})
}

func fnBasename(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	eachWord(b, arg(a, 0), func(w string) (string, bool) {
		if i := suffixIndex(w); i >= 0 {
			return w[:i], true
		}
		return w, true
	})
}

func fnAddsuffix(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	eachWord(b, a[1], func(w string) (string, bool) { return w + a[0], true })
}

func fnAddprefix(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	eachWord(b, a[1], func(w string) (string, bool) { return a[0] + w, true })
}

func fnJoin(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	x, y := Fields(a[0]), Fields(a[1])
	n := max(len(x), len(y))
	wa := newWordAppender(b)
	for i := 0; i < n; i++ {
		var s string
		if i < len(x) {
			s = x[i]
		}
		if i < len(y) {
			s += y[i]
		}
		wa.add(s)
	}
}

func fnWildcard(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	wa := newWordAppender(b)
	for _, pat := range Fields(arg(a, 0)) {
		for _, m := range e.Glob(pat) {
			wa.add(m)
		}
	}
}

func fnRealpath(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	eachWord(b, arg(a, 0), func(w string) (string, bool) {
		p := e.abs(w)
		r, err := filepath.EvalSymlinks(p)
		if err != nil {
			return "", false
		}
		return r, true
	})
}

func (e *Evaluator) abs(w string) string {
	if !filepath.IsAbs(w) {
		w = e.Dir + "/" + w
	}
	return filepath.Clean(w)
}

func fnAbspath(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	eachWord(b, arg(a, 0), func(w string) (string, bool) { return e.abs(w), true })
}

func fnInfo(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	e.Out(arg(a, 0) + "\n")
}

// $(warning) and $(error) report the line being read (or the recipe line
// being expanded), not where a variable holding them was defined.
func fnWarning(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	e.Warnf(e.pos, "%s", arg(a, 0))
}

func fnError(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	e.Fatalf(e.pos, "%s", arg(a, 0))
}

func fnShell(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	out := e.shell(arg(a, 0), true)
	*b = append(*b, out...)
}

// shell runs a command for $(shell) (trimAll) and != and returns its
// output with newlines folded as GNU make's fold_newlines: CR-LF counts as
// one newline, newlines become spaces, and the trailing ones are removed
// (all of them for $(shell), the last one for !=). An empty command is not
// run at all.
func (e *Evaluator) shell(cmd string, trimAll bool) string {
	if strings.TrimSpace(cmd) == "" {
		return ""
	}
	out, status := e.Hooks.Shell(e, cmd)
	e.Global.Define(".SHELLSTATUS", strconv.Itoa(status), Simple, OriginOverride, syntax.Pos{})
	out = strings.ReplaceAll(out, "\r\n", "\n")
	if trimAll {
		out = strings.TrimRight(out, "\n")
	} else {
		out = strings.TrimSuffix(out, "\n")
	}
	return strings.ReplaceAll(out, "\n", " ")
}

func fnOrigin(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	v := e.lookup(arg(a, 0))
	if v == nil {
		*b = append(*b, "undefined"...)
		return
	}
	*b = append(*b, v.Origin.String()...)
}

func fnFlavor(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	v := e.lookup(arg(a, 0))
	if v == nil {
		*b = append(*b, "undefined"...)
		return
	}
	*b = append(*b, v.Flavor.String()...)
}

func fnValue(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	if v := e.lookup(arg(a, 0)); v != nil {
		*b = append(*b, v.Value...)
	}
}

func fnForeach(e *Evaluator, b *[]byte, _ []string, c *syntax.Call) {
	name := strings.TrimSpace(e.ExpandExpr(c.Args[0]))
	list := Fields(e.ExpandExpr(c.Args[1]))
	body := c.Args[2]
	set := NewVarSet()
	pop := e.pushScope(set)
	defer pop()
	v := set.Define(name, "", Simple, OriginAutomatic, syntax.Pos{})
	wa := newWordAppender(b)
	for _, w := range list {
		v.Value = w
		wa.add(e.ExpandExpr(body))
	}
}

// if, or and and strip blanks from the unexpanded condition, then test
// whether its expansion is empty: blanks that come from a variable count.
func fnIf(e *Evaluator, b *[]byte, _ []string, c *syntax.Call) {
	cond := e.ExpandExpr(c.Trim[0])
	if cond != "" {
		e.expandTo(b, c.Args[1])
	} else if len(c.Args) > 2 {
		e.expandTo(b, c.Args[2])
	}
}

func fnOr(e *Evaluator, b *[]byte, _ []string, c *syntax.Call) {
	for _, x := range c.Trim {
		if s := e.ExpandExpr(x); s != "" {
			*b = append(*b, s...)
			return
		}
	}
}

func fnAnd(e *Evaluator, b *[]byte, _ []string, c *syntax.Call) {
	var s string
	for _, x := range c.Trim {
		if s = e.ExpandExpr(x); s == "" {
			return
		}
	}
	*b = append(*b, s...)
}

func fnCall(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	name := strings.TrimSpace(a[0])
	if f, ok := builtins[name]; ok {
		args := a[1:]
		if len(args) < f.min {
			e.Fatalf(e.errPos(), "insufficient number of arguments (%d) to function '%s'", len(args), name)
		}
		if f.max > 0 && len(args) > f.max {
			// Extra arguments join the last one, commas and all.
			args = append(args[:f.max-1:f.max-1], strings.Join(args[f.max-1:], ","))
		}
		if f.raw {
			c := &syntax.Call{Fn: name, Raw: args, Args: make([]syntax.Expr, len(args)), Trim: make([]syntax.Expr, len(args))}
			for i, s := range args {
				c.Args[i] = syntax.Literal(s)
				c.Trim[i] = syntax.Literal(strings.TrimSpace(s))
			}
			f.fn(e, b, nil, c)
			return
		}
		f.fn(e, b, args, nil)
		return
	}
	v := e.lookup(name)
	if v == nil {
		e.warnUndefined(name)
		return
	}
	if v.Value == "" {
		return
	}
	set := NewVarSet()
	for i, s := range a {
		set.Define(strconv.Itoa(i), s, Simple, OriginAutomatic, syntax.Pos{})
	}
	// Hide the outer call's extra arguments from this one.
	for i := len(a); i < e.callArgs; i++ {
		set.Define(strconv.Itoa(i), "", Simple, OriginAutomatic, syntax.Pos{})
	}
	pop := e.pushScope(set)
	saved := e.callArgs
	e.callArgs = len(a)
	// A function may call itself: allow re-entry for the body.
	wasExpanding := v.expanding
	v.expanding = false
	*b = append(*b, e.valueOf(v)...)
	v.expanding = wasExpanding
	e.callArgs = saved
	pop()
}

func fnEval(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	e.EvalText(arg(a, 0))
}

func fnFile(e *Evaluator, b *[]byte, a []string, _ *syntax.Call) {
	spec := strings.TrimLeft(a[0], " \t")
	var op string
	switch {
	case strings.HasPrefix(spec, ">>"):
		op = ">>"
	case strings.HasPrefix(spec, ">"), strings.HasPrefix(spec, "<"):
		op = spec[:1]
	default:
		e.Fatalf(e.errPos(), "file: invalid file operation: %s", spec)
	}
	name := strings.TrimSpace(spec[len(op):])
	if name == "" {
		e.Fatalf(e.errPos(), "file: missing filename")
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(e.Dir, path)
	}
	if op == "<" {
		if len(a) > 1 {
			e.Fatalf(e.errPos(), "file: too many arguments")
		}
		data, err := os.ReadFile(path)
		if err != nil {
			if os.IsNotExist(err) {
				return
			}
			e.Fatalf(e.errPos(), "open: %s: %s", name, errText(err))
		}
		s := string(data)
		s = strings.TrimSuffix(s, "\n")
		*b = append(*b, s...)
		return
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if op == ">>" {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(path, flags, 0o666)
	if err != nil {
		e.Fatalf(e.errPos(), "open: %s: %s", name, errText(err))
	}
	if len(a) > 1 {
		text := a[1]
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		if _, err := f.WriteString(text); err != nil {
			f.Close()
			e.Fatalf(e.errPos(), "write: %s: %s", name, errText(err))
		}
	}
	if err := f.Close(); err != nil {
		e.Fatalf(e.errPos(), "close: %s: %s", name, errText(err))
	}
}
