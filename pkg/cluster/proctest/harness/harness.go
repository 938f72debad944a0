// Package harness runs dmaked coordinators and workers as real processes on
// 127.0.0.1 for the process-level tests (workerfaults, leaderfaults), and
// checks what they did: events, an attempt log with intervals, and files.
package harness

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/client"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"golang.org/x/sys/unix"
)

var dmaked, stamp string // binaries built by Main

// Main builds dmaked and the stamp helper, runs the tests, and cleans up:
// call it from TestMain.
func Main(m *testing.M) {
	dir, err := os.MkdirTemp("", "dmake-proctest-")
	if err != nil {
		panic(err)
	}
	dmaked, stamp = filepath.Join(dir, "dmaked"), filepath.Join(dir, "stamp")
	for bin, pkg := range map[string]string{dmaked: "github.com/dmake/dmake/cmd/dmaked", stamp: "github.com/dmake/dmake/pkg/cluster/proctest/stamp"} {
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Monotonic returns CLOCK_MONOTONIC in nanoseconds: the same clock in every
// process on the machine.
func Monotonic() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}

// FreeAddr returns a free 127.0.0.1 port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Proc is one dmaked process.
type Proc struct {
	Name   string
	Args   []string
	Cmd    *exec.Cmd
	Log    string
	Exited chan error // receives Wait's result once the process exits
}

// Start starts (or restarts) the process, its output appended to Log.
func (p *Proc) Start(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(p.Log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p.Cmd = exec.Command(dmaked, p.Args...)
	p.Cmd.Stdout, p.Cmd.Stderr = f, f
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd, exited := p.Cmd, make(chan error, 1)
	p.Exited = exited
	go func() { exited <- cmd.Wait() }()
}

// Signal sends s to the process.
func (p *Proc) Signal(t testing.TB, s syscall.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(s); err != nil {
		t.Fatalf("signal %s %v: %v", p.Name, s, err)
	}
}

// Timing makes leases and elections short, so the tests run quickly.
var Timing = []string{"--heartbeat-interval", "300ms", "--worker-ttl", "2s", "--worker-grace", "1s",
	"--failover-grace", "4s", "--raft-heartbeat", "500ms", "--loss-backoff", "0s"}

// Cluster is a set of dmaked processes and a client to them.
type Cluster struct {
	t       testing.TB
	Dir     string
	Coords  []*Proc
	Workers []*Proc
	RPCs    []string
	Cl      *client.Client
}

// NewCluster starts n coordinators (bootstrap-expect n) and m workers with
// the given slots each, and waits until a leader sees every worker.
func NewCluster(t testing.TB, n, m, slots int, extra ...string) *Cluster {
	tc := &Cluster{t: t, Dir: t.TempDir()}
	for range n {
		tc.RPCs = append(tc.RPCs, FreeAddr(t))
	}
	join := strings.Join(tc.RPCs, ",")
	for i := range n {
		id := fmt.Sprintf("c%d", i+1)
		p := &Proc{Name: id, Log: filepath.Join(tc.Dir, id+".log"), Args: append([]string{"coordinator",
			"--node-id", id, "--data-dir", filepath.Join(tc.Dir, id), "--bind", tc.RPCs[i], "--raft-bind", FreeAddr(t),
			"--bootstrap-expect", strconv.Itoa(n), "--join", join}, append(Timing, extra...)...)}
		p.Start(t)
		tc.Coords = append(tc.Coords, p)
	}
	for i := range m {
		name := fmt.Sprintf("w%d", i+1)
		p := &Proc{Name: name, Log: filepath.Join(tc.Dir, name+".log"), Args: []string{"worker",
			"--coordinators", join, "--slots", strconv.Itoa(slots), "--name", name}}
		p.Start(t)
		tc.Workers = append(tc.Workers, p)
	}
	t.Cleanup(tc.Stop)
	tc.Cl = client.New(tc.RPCs)
	tc.WaitWorkers(m)
	return tc
}

// Stop kills every process (stopped ones are continued first) and, if the
// test failed, logs the end of each process's log.
func (tc *Cluster) Stop() {
	for _, p := range append(tc.Workers, tc.Coords...) {
		if p.Cmd != nil && p.Cmd.Process != nil {
			_ = p.Cmd.Process.Signal(syscall.SIGCONT)
			_ = p.Cmd.Process.Kill()
		}
	}
	tc.Cl.Close()
	if tc.t.Failed() {
		for _, p := range append(tc.Coords, tc.Workers...) {
			b, _ := os.ReadFile(p.Log)
			lines := strings.Split(string(b), "\n")
			if len(lines) > 40 {
				lines = lines[len(lines)-40:]
			}
			tc.t.Logf("--- %s (last lines)\n%s", p.Name, strings.Join(lines, "\n"))
		}
	}
}

// WaitWorkers waits until a leader counts m workers up.
func (tc *Cluster) WaitWorkers(m int) {
	tc.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := tc.Cl.Status(ctx)
		cancel()
		if err == nil && st.LeaderId != "" && int(st.Workers) >= m {
			return
		}
		if time.Now().After(deadline) {
			tc.t.Fatalf("cluster not up: %v %v", st, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Leader returns the leading coordinator's process.
func (tc *Cluster) Leader() *Proc {
	tc.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := tc.Cl.Status(ctx)
	if err != nil {
		tc.t.Fatal(err)
	}
	for _, p := range tc.Coords {
		if p.Name == st.LeaderId {
			return p
		}
	}
	tc.t.Fatalf("no leader process for %q", st.LeaderId)
	return nil
}

// FanBuild is a build of n steps: n/10 "lib" steps, then steps each
// depending on one lib. Each recipe stamps start and end in the attempt
// log (with the stamp helper), sleeps, and writes out/STEP with its attempt
// number.
func FanBuild(id, dir, alog string, n int, sleep string) cluster.BuildSpec {
	spec := cluster.BuildSpec{ID: id, Dir: dir, Options: cluster.Options{Jobs: 200}}
	libs := n / 10
	for i := range n {
		st := cluster.StepSpec{Target: fmt.Sprintf("t%d", i), Priority: int64(i)}
		if i >= libs {
			st.Deps = []int{i % libs}
		}
		st.Payload = []byte(fmt.Sprintf("%s start %s && sleep %s && mkdir -p out && echo $DMAKE_ATTEMPT > out/%d.tmp && mv out/%d.tmp out/%d && echo built %d && %s end %s",
			stamp, alog, sleep, i, i, i, i, stamp, alog))
		spec.Steps = append(spec.Steps, st)
	}
	return spec
}

// Record is what a client saw of a build.
type Record struct {
	Status   string
	Finished map[int32][]*pb.Event // STEP_FINISHED per step
	Started  map[int32][]*pb.Event
	Lost     map[int32][]*pb.Event
	Outputs  map[int32][]*pb.Event
	Seqs     []uint64
}

// NewRecord returns an empty Record.
func NewRecord() *Record {
	return &Record{Finished: map[int32][]*pb.Event{}, Started: map[int32][]*pb.Event{}, Lost: map[int32][]*pb.Event{}, Outputs: map[int32][]*pb.Event{}}
}

// Add records one event.
func (r *Record) Add(e *pb.Event) {
	r.Seqs = append(r.Seqs, e.Seq)
	switch e.Kind {
	case pb.Event_STEP_STARTED:
		r.Started[e.Step] = append(r.Started[e.Step], e)
	case pb.Event_STEP_FINISHED:
		r.Finished[e.Step] = append(r.Finished[e.Step], e)
	case pb.Event_STEP_LOST:
		r.Lost[e.Step] = append(r.Lost[e.Step], e)
	case pb.Event_OUTPUT:
		r.Outputs[e.Step] = append(r.Outputs[e.Step], e)
	case pb.Event_BUILD_FINISHED:
		r.Status = e.Status
	}
}

// Interval is one attempt in the attempt log.
type Interval struct {
	step, attempt int
	worker        string
	start, end    int64 // end 0: never ended
}

func ReadAttemptLog(t testing.TB, path string) []*Interval {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byKey := map[[2]int]*Interval{}
	var out []*Interval
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kind, worker string
		var step, attempt int
		var at int64
		if _, err := fmt.Sscanf(sc.Text(), "%s %d %d %s %d", &kind, &step, &attempt, &worker, &at); err != nil {
			t.Fatalf("attempt log line %q: %v", sc.Text(), err)
		}
		k := [2]int{step, attempt}
		iv := byKey[k]
		if iv == nil {
			iv = &Interval{step: step, attempt: attempt, worker: worker}
			byKey[k] = iv
			out = append(out, iv)
		}
		if kind == "start" {
			iv.start = at
		} else {
			iv.end = at
		}
	}
	return out
}

// CheckNoOverlap fails if two attempts of one step ran at once. An attempt
// that never logged its end was killed; it ended by killedAt[worker] at the
// latest (the worker's death, or when it fenced itself), and is an error on
// any other worker.
func CheckNoOverlap(t testing.TB, ivs []*Interval, killedAt map[string]int64) {
	t.Helper()
	per := map[int][]*Interval{}
	for _, iv := range ivs {
		if iv.end == 0 {
			k, ok := killedAt[iv.worker]
			if !ok {
				t.Errorf("step %d attempt %d on %s never ended, and its worker was not killed", iv.step, iv.attempt, iv.worker)
				continue
			}
			iv.end = k
		}
		per[iv.step] = append(per[iv.step], iv)
	}
	for step, list := range per {
		sort.Slice(list, func(i, j int) bool { return list[i].start < list[j].start })
		for i := 1; i < len(list); i++ {
			if list[i].start < list[i-1].end {
				t.Errorf("step %d: attempt %d on %s [%d,%d] overlaps attempt %d on %s [%d,%d]", step,
					list[i-1].attempt, list[i-1].worker, list[i-1].start, list[i-1].end,
					list[i].attempt, list[i].worker, list[i].start, list[i].end)
			}
		}
	}
}

// CheckBuild checks what every test wants of a finished build: success,
// every step finished exactly once by its last attempt, event numbers
// without gap or repeat, and out/STEP written by the accepted attempt.
func CheckBuild(t testing.TB, r *Record, dir string, n int) {
	t.Helper()
	if r.Status != "succeeded" {
		t.Fatalf("build %s", r.Status)
	}
	for i, s := range r.Seqs {
		if s != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, s)
		}
	}
	for step := range int32(n) {
		fin := r.Finished[step]
		if len(fin) != 1 || fin[0].Status != "succeeded" {
			t.Fatalf("step %d finished %d times: %v", step, len(fin), fin)
		}
		st := r.Started[step]
		last := st[len(st)-1]
		if fin[0].Attempt != last.Attempt || fin[0].Worker != last.Worker {
			t.Errorf("step %d: accepted attempt %d on %s, but last start was %d on %s", step, fin[0].Attempt, fin[0].Worker, last.Attempt, last.Worker)
		}
		b, err := os.ReadFile(filepath.Join(dir, "out", fmt.Sprint(step)))
		if err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(fin[0].Attempt) {
			t.Errorf("step %d: out file %q (%v), accepted attempt %d", step, b, err, fin[0].Attempt)
		}
	}
}

// FollowBuild records a build's events in the background. onEvent, if not
// nil, sees each event first.
func FollowBuild(t testing.TB, tc *Cluster, id string, onEvent func(*pb.Event)) (wait func() *Record) {
	rec := NewRecord()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		_, err := tc.Cl.Events(ctx, id, 1, func(e *pb.Event) error {
			if onEvent != nil {
				onEvent(e)
			}
			rec.Add(e)
			return nil
		})
		done <- err
	}()
	return func() *Record {
		if err := <-done; err != nil {
			t.Fatalf("events: %v", err)
		}
		return rec
	}
}
