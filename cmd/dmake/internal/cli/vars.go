package cli

import "strings"

// ParseVariable reports whether word is a variable definition as make 4.3
// recognises one among its arguments, and splits it. The name runs up to
// the operator with surrounding blanks removed; references such as
// "$(X)" in it are skipped over whole. A '#', a ':' not starting ":=" or
// "::=", or a second word before the operator means it is not a
// definition ("a:b=c" and "A B=1" are goals). The value is the rest with
// leading blanks removed. An empty Name is returned as is; make stops
// with "empty variable name" for it.
func ParseVariable(word string) (Variable, bool) {
	s := strings.TrimLeft(word, " \t")
	nameEnd := -1 // where the name ends, once blanks were seen
	for p := 0; p < len(s); {
		c := s[p]
		p++
		switch {
		case c == '#':
			return Variable{}, false
		case c == '$':
			if p >= len(s) {
				return Variable{}, false
			}
			open := s[p]
			p++
			if open != '(' && open != '{' {
				continue // "$$" or "$X"
			}
			p = skipRef(s, p, open)
			continue
		case c == ' ' || c == '\t':
			if nameEnd < 0 {
				nameEnd = p - 1
			}
			for p < len(s) && (s[p] == ' ' || s[p] == '\t') {
				p++
			}
			if p >= len(s) {
				return Variable{}, false
			}
			c = s[p]
			p++
		}
		end := p - 1
		if nameEnd >= 0 {
			end = nameEnd
		}
		if c == '=' {
			return Variable{Name: s[:end], Op: "=", Value: trimBlanks(s[p:])}, true
		}
		if p < len(s) && s[p] == '=' {
			switch c {
			case ':', '+', '?', '!':
				return Variable{Name: s[:end], Op: string(c) + "=", Value: trimBlanks(s[p+1:])}, true
			}
			if nameEnd >= 0 {
				return Variable{}, false
			}
			continue
		}
		if c == ':' {
			if !strings.HasPrefix(s[p:], ":=") {
				return Variable{}, false
			}
			return Variable{Name: s[:end], Op: "::=", Value: trimBlanks(s[p+2:])}, true
		}
		if nameEnd >= 0 {
			return Variable{}, false
		}
	}
	return Variable{}, false
}

// skipRef returns the index just past the reference opened at s[p-1].
func skipRef(s string, p int, open byte) int {
	closer := byte(')')
	if open == '{' {
		closer = '}'
	}
	for count := 1; p < len(s); p++ {
		if s[p] == closer {
			if count--; count == 0 {
				return p + 1
			}
		} else if s[p] == open {
			count++
		}
	}
	return p
}

func trimBlanks(s string) string { return strings.TrimLeft(s, " \t") }

// expandRefs expands what make would in an environment MAKEFLAGS before
// decoding it: "$$" becomes "$", and $(NAME), ${NAME} and $X become the
// environment variable's value, itself expanded (make imports the
// environment as recursive variables). Functions and make's own
// variables are not known here and expand to nothing.
func expandRefs(s string, env func(string) string, depth int) string {
	if depth > 20 || !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			b.WriteByte(s[i])
			continue
		}
		i++
		if i >= len(s) {
			break
		}
		var name string
		switch c := s[i]; c {
		case '$':
			b.WriteByte('$')
			continue
		case '(', '{':
			end := skipRef(s, i+1, c)
			inner := s[i+1 : end]
			if end <= len(s) && end > i+1 && (s[end-1] == ')' || s[end-1] == '}') {
				inner = s[i+1 : end-1]
			}
			name = expandRefs(inner, env, depth+1)
			i = end - 1
		default:
			name = string(c)
		}
		b.WriteString(expandRefs(env(name), env, depth+1))
	}
	return b.String()
}
