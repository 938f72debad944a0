package plan

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// ArchiveMember splits an archive member name "lib.a(x.o)" into the
// archive and the member.
func ArchiveMember(name string) (archive, member string, ok bool) {
	open := strings.IndexByte(name, '(')
	if open <= 0 || !strings.HasSuffix(name, ")") || open+2 >= len(name) {
		return "", "", false
	}
	return name[:open], name[open+1 : len(name)-1], true
}

// MemberTime returns the modification time an ar archive records for a
// member, and whether the archive has it. It reads the common (GNU and
// BSD-less) ar format: "!<arch>\n", then 60-byte headers, with long names
// in the "//" table.
func MemberTime(archive, member string) (time.Time, bool) {
	data, err := os.ReadFile(archive)
	if err != nil || !bytes.HasPrefix(data, []byte("!<arch>\n")) {
		return time.Time{}, false
	}
	var longNames []byte
	for off := 8; off+60 <= len(data); {
		h := data[off : off+60]
		size, err := strconv.Atoi(strings.TrimSpace(string(h[48:58])))
		if err != nil || size < 0 {
			return time.Time{}, false
		}
		body := off + 60
		end := body + size
		if end > len(data) {
			end = len(data)
		}
		name := strings.TrimRight(string(h[0:16]), " ")
		switch {
		case name == "//":
			longNames = data[body:end]
		case name == "/" || name == "/SYM64/":
		case strings.HasPrefix(name, "/"):
			if i, err := strconv.Atoi(name[1:]); err == nil && i < len(longNames) {
				n := longNames[i:]
				if k := bytes.IndexByte(n, '\n'); k >= 0 {
					n = n[:k]
				}
				name = string(n)
			}
		}
		if strings.TrimSuffix(name, "/") == member {
			secs, _ := strconv.ParseInt(strings.TrimSpace(string(h[16:28])), 10, 64)
			if secs == 0 {
				// A deterministic archive (ar's D mode) records no
				// time: GNU make then counts the member as missing.
				return time.Time{}, false
			}
			return time.Unix(secs, 0), true
		}
		off = body + size + size%2
	}
	return time.Time{}, false
}

// statMember is Stat for an archive member name.
func statMember(dir, name string) (time.Time, bool, bool) {
	arch, member, ok := ArchiveMember(name)
	if !ok {
		return time.Time{}, false, false
	}
	if dir != "" && !strings.HasPrefix(arch, "/") {
		arch = dir + "/" + arch
	}
	t, found := MemberTime(arch, member)
	return t, found, true
}
