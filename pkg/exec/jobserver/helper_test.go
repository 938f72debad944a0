package jobserver

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// helperEnv, when set in the environment, turns the test binary into a
// small jobserver client (see helperMain): "LOG:NAME:WORKERS".
const helperEnv = "DMAKE_JOBSERVER_HELPER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(helperEnv); spec != "" {
		os.Exit(helperMain(spec))
	}
	os.Exit(m.Run())
}

// helperMain joins the jobserver named in MAKEFLAGS and runs WORKERS
// pretend jobs at once, each holding a slot while it records its start and
// end in LOG. It is the dmake-side child of a GNU make parent.
func helperMain(spec string) int {
	parts := strings.Split(spec, ":")
	if len(parts) != 3 {
		fmt.Fprintln(os.Stderr, "helper: bad spec", spec)
		return 2
	}
	workers, _ := strconv.Atoi(parts[2])
	auth, ok, err := ParseMakeflags(os.Getenv("MAKEFLAGS"))
	if err != nil || !ok {
		fmt.Fprintln(os.Stderr, "helper: no jobserver in MAKEFLAGS:", os.Getenv("MAKEFLAGS"), err)
		return 2
	}
	js, err := Join(auth)
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 2
	}
	defer js.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Go(func() {
			errs <- pretendJob(ctx, js, parts[0], parts[1]+"-"+strconv.Itoa(i))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return 1
		}
	}
	return 0
}

func pretendJob(ctx context.Context, js *Jobserver, log, id string) error {
	t, err := js.Acquire(ctx)
	if err != nil {
		return err
	}
	defer js.Release(t)
	if err := record(log, "s", id); err != nil {
		return err
	}
	time.Sleep(30 * time.Millisecond)
	return record(log, "e", id)
}

// record appends one event in a single write, so lines never interleave.
func record(log, kind, id string) error {
	f, err := os.OpenFile(log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s %s %d\n", kind, id, time.Now().UnixNano())
	return err
}

// maxOverlap reads a log of "s ID NS" / "e ID NS" records and returns the
// largest number of intervals open at once, and how many intervals there
// were. The count comes from the order of the records, not from durations.
func maxOverlap(t *testing.T, log string) (max, n int) {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	type event struct {
		ns    int64
		delta int
	}
	var evs []event
	open := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("bad record %q", line)
		}
		ns, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			t.Fatalf("bad record %q", line)
		}
		switch f[0] {
		case "s":
			evs = append(evs, event{ns, 1})
			open[f[1]] = true
			n++
		case "e":
			evs = append(evs, event{ns, -1})
			delete(open, f[1])
		}
	}
	if len(open) != 0 {
		t.Fatalf("intervals never closed: %v", open)
	}
	// At equal times an end comes first: the slot was given back.
	sort.Slice(evs, func(i, j int) bool {
		if evs[i].ns != evs[j].ns {
			return evs[i].ns < evs[j].ns
		}
		return evs[i].delta < evs[j].delta
	})
	cur := 0
	for _, e := range evs {
		cur += e.delta
		max = maxInt(max, cur)
	}
	return max, n
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
