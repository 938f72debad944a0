package difftest

import (
	"fmt"
	"strings"
)

// splitWords splits s into words as a POSIX shell would, without expansion:
// blanks separate words, single quotes keep everything literally, double
// quotes keep everything but a backslash before one of \ " $ `, and outside
// quotes a backslash keeps the next character literally.
func splitWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
			continue
		case ch == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single quote in %q", s)
			}
			w.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case ch == '"':
			n, err := doubleQuoted(s[i+1:], &w)
			if err != nil {
				return nil, fmt.Errorf("%w in %q", err, s)
			}
			i += n + 1
		case ch == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
		default:
			w.WriteByte(ch)
		}
		inWord = true
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// doubleQuoted copies the body of a double-quoted string from s (which
// starts just after the opening quote) into w and returns the index of the
// closing quote.
func doubleQuoted(s string, w *strings.Builder) (int, error) {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"':
			return i, nil
		case ch == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`", s[i+1]) >= 0:
			i++
			w.WriteByte(s[i])
		default:
			w.WriteByte(ch)
		}
	}
	return 0, fmt.Errorf("unterminated double quote")
}
