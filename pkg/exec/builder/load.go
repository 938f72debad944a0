package builder

import (
	"os"
	"strconv"
	"strings"
)

// overloaded reports whether -l holds back the next step: GNU make starts
// no new job while at least one is running and the one-minute load
// average is at or above the limit. With nothing running a job always
// starts, so a loaded machine slows a build down but never stops it.
// Unlike GNU make, dmake does not add the jobs it started in the last
// second to the kernel's (lagging) figure.
func (b *Builder) overloaded() bool {
	if b.opt.LoadAverage <= 0 || b.running == 0 {
		return false
	}
	read := b.opt.ReadLoad
	if read == nil {
		read = loadAverage
	}
	load, ok := read()
	return ok && load >= b.opt.LoadAverage
}

// loadAverage is the one-minute load average from /proc/loadavg.
func loadAverage() (float64, bool) {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	return parseLoadAvg(string(data))
}

// parseLoadAvg reads the first field of /proc/loadavg.
func parseLoadAvg(s string) (float64, bool) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil
}
