package proctest

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

var dmaked, stamp string // binaries built by TestMain

func TestMain(m *testing.M) {
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

// monotonic returns CLOCK_MONOTONIC in nanoseconds: the same clock in every
// process on the machine.
func monotonic() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err)
	}
	return ts.Nano()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// proc is one dmaked process.
type proc struct {
	name   string
	args   []string
	cmd    *exec.Cmd
	log    string
	exited chan error // receives Wait's result once the process exits
}

func (p *proc) start(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(p.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p.cmd = exec.Command(dmaked, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd, exited := p.cmd, make(chan error, 1)
	p.exited = exited
	go func() { exited <- cmd.Wait() }()
}

func (p *proc) signal(t testing.TB, s syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(s); err != nil {
		t.Fatalf("signal %s %v: %v", p.name, s, err)
	}
}

// timing makes leases and elections short, so the tests run quickly.
var timing = []string{"--heartbeat-interval", "300ms", "--worker-ttl", "2s", "--worker-grace", "1s",
	"--failover-grace", "4s", "--raft-heartbeat", "500ms", "--loss-backoff", "0s"}

type testCluster struct {
	t       testing.TB
	dir     string
	coords  []*proc
	workers []*proc
	rpcs    []string
	cl      *client.Client
}

// newCluster starts n coordinators (bootstrap-expect n) and m workers with
// the given slots each, and waits until a leader sees every worker.
func newCluster(t testing.TB, n, m, slots int, extra ...string) *testCluster {
	tc := &testCluster{t: t, dir: t.TempDir()}
	for range n {
		tc.rpcs = append(tc.rpcs, freeAddr(t))
	}
	join := strings.Join(tc.rpcs, ",")
	for i := range n {
		id := fmt.Sprintf("c%d", i+1)
		p := &proc{name: id, log: filepath.Join(tc.dir, id+".log"), args: append([]string{"coordinator",
			"--node-id", id, "--data-dir", filepath.Join(tc.dir, id), "--bind", tc.rpcs[i], "--raft-bind", freeAddr(t),
			"--bootstrap-expect", strconv.Itoa(n), "--join", join}, append(timing, extra...)...)}
		p.start(t)
		tc.coords = append(tc.coords, p)
	}
	for i := range m {
		name := fmt.Sprintf("w%d", i+1)
		p := &proc{name: name, log: filepath.Join(tc.dir, name+".log"), args: []string{"worker",
			"--coordinators", join, "--slots", strconv.Itoa(slots), "--name", name}}
		p.start(t)
		tc.workers = append(tc.workers, p)
	}
	t.Cleanup(tc.stop)
	tc.cl = client.New(tc.rpcs)
	tc.waitWorkers(m)
	return tc
}

func (tc *testCluster) stop() {
	for _, p := range append(tc.workers, tc.coords...) {
		if p.cmd != nil && p.cmd.Process != nil {
			_ = p.cmd.Process.Signal(syscall.SIGCONT)
			_ = p.cmd.Process.Kill()
		}
	}
	tc.cl.Close()
	if tc.t.Failed() {
		for _, p := range append(tc.coords, tc.workers...) {
			b, _ := os.ReadFile(p.log)
			lines := strings.Split(string(b), "\n")
			if len(lines) > 40 {
				lines = lines[len(lines)-40:]
			}
			tc.t.Logf("--- %s (last lines)\n%s", p.name, strings.Join(lines, "\n"))
		}
	}
}

func (tc *testCluster) waitWorkers(m int) {
	tc.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		st, err := tc.cl.Status(ctx)
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

// leader returns the leading coordinator's process.
func (tc *testCluster) leader() *proc {
	tc.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := tc.cl.Status(ctx)
	if err != nil {
		tc.t.Fatal(err)
	}
	for _, p := range tc.coords {
		if p.name == st.LeaderId {
			return p
		}
	}
	tc.t.Fatalf("no leader process for %q", st.LeaderId)
	return nil
}

// fanBuild is a build of n steps: n/10 "lib" steps, then steps each
// depending on one lib. Each recipe stamps start and end in the attempt
// log (with the stamp helper), sleeps, and writes out/STEP with its attempt
// number.
func fanBuild(id, dir, alog string, n int, sleep string) cluster.BuildSpec {
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

// record is what a client saw of a build.
type record struct {
	status   string
	finished map[int32][]*pb.Event // STEP_FINISHED per step
	started  map[int32][]*pb.Event
	lost     map[int32][]*pb.Event
	outputs  map[int32][]*pb.Event
	seqs     []uint64
}

func newRecord() *record {
	return &record{finished: map[int32][]*pb.Event{}, started: map[int32][]*pb.Event{}, lost: map[int32][]*pb.Event{}, outputs: map[int32][]*pb.Event{}}
}

func (r *record) add(e *pb.Event) {
	r.seqs = append(r.seqs, e.Seq)
	switch e.Kind {
	case pb.Event_STEP_STARTED:
		r.started[e.Step] = append(r.started[e.Step], e)
	case pb.Event_STEP_FINISHED:
		r.finished[e.Step] = append(r.finished[e.Step], e)
	case pb.Event_STEP_LOST:
		r.lost[e.Step] = append(r.lost[e.Step], e)
	case pb.Event_OUTPUT:
		r.outputs[e.Step] = append(r.outputs[e.Step], e)
	case pb.Event_BUILD_FINISHED:
		r.status = e.Status
	}
}

// interval is one attempt in the attempt log.
type interval struct {
	step, attempt int
	worker        string
	start, end    int64 // end 0: never ended
}

func readAttemptLog(t testing.TB, path string) []*interval {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byKey := map[[2]int]*interval{}
	var out []*interval
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
			iv = &interval{step: step, attempt: attempt, worker: worker}
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

// checkNoOverlap fails if two attempts of one step ran at once. An attempt
// that never logged its end was killed; it ended by killedAt[worker] at the
// latest (the worker's death, or when it fenced itself), and is an error on
// any other worker.
func checkNoOverlap(t testing.TB, ivs []*interval, killedAt map[string]int64) {
	t.Helper()
	per := map[int][]*interval{}
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

// checkBuild checks what every test wants of a finished build: success,
// every step finished exactly once by its last attempt, event numbers
// without gap or repeat, and out/STEP written by the accepted attempt.
func checkBuild(t testing.TB, r *record, dir string, n int) {
	t.Helper()
	if r.status != "succeeded" {
		t.Fatalf("build %s", r.status)
	}
	for i, s := range r.seqs {
		if s != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, s)
		}
	}
	for step := range int32(n) {
		fin := r.finished[step]
		if len(fin) != 1 || fin[0].Status != "succeeded" {
			t.Fatalf("step %d finished %d times: %v", step, len(fin), fin)
		}
		st := r.started[step]
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
