package cli

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// parseMakeLevel reads MAKELEVEL as make does: atoi, but 0 when empty or
// starting with '-'.
func parseMakeLevel(s string) int {
	if s == "" || s[0] == '-' {
		return 0
	}
	return atoi32(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// atoi32 is C's atoi on glibc: leading blanks and a sign, digits up to the
// first non-digit, saturating at the limits of long, then cut to int.
func atoi32(s string) int {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var n uint64
	sat := false
	for i := 0; i < len(s) && isDigit(s[i]); i++ {
		if n > (math.MaxInt64-uint64(s[i]-'0'))/10 {
			sat = true
			continue
		}
		n = n*10 + uint64(s[i]-'0')
	}
	v := int64(n)
	switch {
	case sat && neg:
		v = math.MinInt64
	case sat:
		v = math.MaxInt64
	case neg:
		v = -v
	}
	return int(int32(v))
}

// atof is C's atof for the decimal forms: the longest prefix that is a
// number, 0 when there is none.
func atof(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	for end := len(s); end > 0; end-- {
		f, err := strconv.ParseFloat(s[:end], 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			return f
		}
	}
	return 0
}
