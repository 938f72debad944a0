package difftest

import (
	"bytes"
	"strings"
)

// archiveFile is one file of a txtar archive.
type archiveFile struct {
	Name string
	Data []byte
}

// parseArchive splits txtar data into its comment and its files. A file
// starts at a line of the form "-- name --"; its data runs to the next such
// line. Each file's data keeps its final newline, and a file at the end of
// the archive that lacks one is given one, so every file ends in "\n" unless
// empty (the no-final-newline directive removes it where a case needs that).
func parseArchive(data []byte) (comment []byte, files []archiveFile) {
	var cur *archiveFile
	var body bytes.Buffer
	flush := func() {
		if cur == nil {
			comment = append([]byte(nil), body.Bytes()...)
		} else {
			cur.Data = append([]byte(nil), body.Bytes()...)
			files = append(files, *cur)
		}
		body.Reset()
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			line, data = append(data[:len(data):len(data)], '\n'), nil
		}
		if name, ok := markerName(line); ok {
			flush()
			cur = &archiveFile{Name: name}
			continue
		}
		body.Write(line)
	}
	flush()
	return comment, files
}

// markerName reports whether line is a file marker "-- name --" and returns
// the name.
func markerName(line []byte) (string, bool) {
	s := strings.TrimRight(string(line), "\r\n")
	if !strings.HasPrefix(s, "-- ") || !strings.HasSuffix(s, " --") || len(s) < 7 {
		return "", false
	}
	name := strings.TrimSpace(s[3 : len(s)-3])
	return name, name != ""
}
