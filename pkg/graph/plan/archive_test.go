package plan

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestArchiveMember(t *testing.T) {
	for _, c := range []struct{ in, arch, member string }{
		{"lib.a(x.o)", "lib.a", "x.o"},
		{"dir/lib.a(long_name.o)", "dir/lib.a", "long_name.o"},
		{"(x.o)", "", ""},
		{"lib.a()", "", ""},
		{"plain", "", ""},
	} {
		a, m, ok := ArchiveMember(c.in)
		if a != c.arch || m != c.member || ok != (c.arch != "") {
			t.Errorf("ArchiveMember(%q) = %q, %q, %v", c.in, a, m, ok)
		}
	}
}

// header is one ar member header: name, mtime and size, space padded.
func header(name string, mtime int64, size int) string {
	return fmt.Sprintf("%-16s%-12d%-6s%-6s%-8s%-10d`\n", name, mtime, "0", "0", "644", size)
}

func TestMemberTime(t *testing.T) {
	long := "a_rather_long_member_name.o"
	table := long + "/\n"
	var b strings.Builder
	b.WriteString("!<arch>\n")
	b.WriteString(header("//", 0, len(table)))
	b.WriteString(table)
	if len(table)%2 == 1 {
		b.WriteString("\n")
	}
	b.WriteString(header("x.o/", 1600000000, 3))
	b.WriteString("hi\n\n")
	b.WriteString(header("/0", 1700000000, 2))
	b.WriteString("ok")
	b.WriteString(header("zero.o/", 0, 0))
	p := filepath.Join(t.TempDir(), "lib.a")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		member string
		secs   int64
		ok     bool
	}{
		{"x.o", 1600000000, true},
		{long, 1700000000, true},
		{"zero.o", 0, false}, // deterministic archives: counted missing
		{"absent.o", 0, false},
	} {
		got, ok := MemberTime(p, c.member)
		if ok != c.ok || (ok && got.Unix() != c.secs) {
			t.Errorf("MemberTime(%q) = %v, %v; want %d, %v", c.member, got.Unix(), ok, c.secs, c.ok)
		}
	}
	if _, ok := MemberTime(filepath.Join(t.TempDir(), "none.a"), "x.o"); ok {
		t.Error("member of a missing archive found")
	}
}
