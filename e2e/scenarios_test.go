//go:build e2e

package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The scenarios of issue 5, each its own test. Each builds the project with
// `dmake --cluster ADDRS -j16` from the host and checks it (buildAndCheck).

// progressAt is how many steps must be done before a fault is injected.
const progressAt = 4

// Scenario 1: no fault, at -j16, -j1 and -j32.
func TestBaseline(t *testing.T) {
	c, p, ref := setup(t)
	for _, j := range []int{16, 1, 32} {
		t.Run(fmt.Sprintf("j%d", j), func(t *testing.T) {
			r, since := startBuild(t, c, p, j)
			buildAndCheck(t, c, p, ref, r, since, Expect{})
		})
	}
}

// Scenario 2: docker kill one worker mid-build.
func TestWorkerKilled(t *testing.T) {
	c, p, ref := setup(t)
	r, since := startBuild(t, c, p, 16)
	c.WaitProgress(t, p.BuildDir(), since, progressAt)
	w := c.BusiestWorker(t)
	c.Kill(w)
	buildAndCheck(t, c, p, ref, r, since, Expect{LossWorkers: []string{w}, Reasons: []string{ReasonLease}, MinLosses: 1})
}

// Scenario 3: docker pause one worker past its lease, then unpause: its
// steps ran elsewhere, it fenced itself (killed what it ran when it woke),
// and nothing it wrote afterwards survives. The worker is thawed only after
// the build has finished elsewhere, so that whatever it does on waking
// (its frozen compilers resuming, its runner cleaning up after the killed
// attempts) lands on the finished tree, where the checks see it.
func TestWorkerPausedPastLease(t *testing.T) {
	c, p, ref := setup(t)
	r, since := startBuild(t, c, p, 16)
	c.WaitProgress(t, p.BuildDir(), since, progressAt)
	w := c.BusiestWorker(t)
	c.Pause(w)
	c.WaitFor(w+" declared down", 6*lease, func() bool { return c.WorkerStatus(w) == "down" })
	out, err := r.Wait(t, 10*time.Minute)
	if err != nil {
		c.Unpause(w)
		t.Fatalf("dmake --cluster: %v\n%s", err, tail(out, 40))
	}
	t.Logf("dmake --cluster finished in %.1fs, with %s still frozen", time.Since(since).Seconds(), w)
	ended, serr := Snapshot(p.BuildDir())
	if serr != nil {
		t.Fatal(serr)
	}
	c.Unpause(w)
	c.WaitFor(w+" back", 60*time.Second, func() bool { return c.WorkerStatus(w) == "ready" })
	t.Run("output", func(t *testing.T) { checkOutputHas(t, "dmake's output", ref, out) })
	checkCluster(t, c, p, since, Expect{LossWorkers: []string{w},
		Reasons: []string{ReasonLease, ReasonFenced, ReasonAgain}, MinLosses: 1}, ended)
	logs, _ := exec.Command("docker", "logs", c.Container(w)).CombinedOutput()
	if !strings.Contains(string(logs), "killed running steps") && !strings.Contains(string(logs), "session ended: killing all steps") {
		t.Errorf("%s's log does not show it fencing itself (killing its steps) after the pause:\n%s", w, tail(string(logs), 20))
	}
}

// Scenario 4: partition one worker (docker network disconnect) for longer
// than its lease, then reconnect.
func TestWorkerPartitioned(t *testing.T) {
	c, p, ref := setup(t)
	r, since := startBuild(t, c, p, 16)
	c.WaitProgress(t, p.BuildDir(), since, progressAt)
	w := c.BusiestWorker(t)
	c.Disconnect(w)
	c.WaitFor(w+" declared down", 6*lease, func() bool { return c.WorkerStatus(w) == "down" })
	time.Sleep(time.Second)
	c.Connect(w)
	buildAndCheck(t, c, p, ref, r, since, Expect{LossWorkers: []string{w},
		Reasons: []string{ReasonLease, ReasonFenced, ReasonAgain}, MinLosses: 1})
	c.WaitFor(w+" back", 60*time.Second, func() bool { return c.WorkerStatus(w) == "ready" })
}

// Scenario 5a: docker kill the coordinator leader mid-build.
func TestLeaderKilled(t *testing.T) {
	c, p, ref := setup(t, leaseOverLeaderChange...)
	r, since := startBuild(t, c, p, 16)
	c.WaitProgress(t, p.BuildDir(), since, progressAt)
	old := c.LeaderID()
	c.Kill(ServiceOf(old))
	c.WaitFor("a new leader", 30*time.Second, func() bool { l := c.LeaderID(); return l != "" && l != old })
	// A leader change is not a loss: after it every worker gets a fresh
	// grace period; only undelivered assignments may be requeued.
	buildAndCheck(t, c, p, ref, r, since, Expect{Reasons: []string{ReasonUndelivd}})
	c.Start(ServiceOf(old))
}

// Scenario 5b: a rolling restart of all three coordinators, one at a time,
// during one build.
func TestCoordinatorsRollingRestart(t *testing.T) {
	c, p, ref := setup(t, leaseOverLeaderChange...)
	r, since := startBuild(t, c, p, 16)
	c.WaitProgress(t, p.BuildDir(), since, progressAt)
	for _, svc := range []string{"c1", "c2", "c3"} {
		c.Restart(svc)
		c.WaitFor("a leader and 3 voters after restarting "+svc, 60*time.Second, func() bool {
			st := c.Status()
			return st != nil && st.LeaderId != "" && len(st.Servers) == 3
		})
	}
	select {
	case <-r.done:
		t.Logf("note: the build finished before the last coordinator was back; a bigger DMAKE_E2E_PROJECT spreads the restarts over more of it")
	default:
	}
	buildAndCheck(t, c, p, ref, r, since, Expect{Reasons: []string{ReasonUndelivd}})
}

// Scenario 6: kill all workers; the build waits; two new workers start and
// it finishes.
func TestAllWorkersReplaced(t *testing.T) {
	c, p, ref := setup(t)
	r, since := startBuild(t, c, p, 16)
	b := c.WaitProgress(t, p.BuildDir(), since, progressAt)
	all := []string{"w1", "w2", "w3", "w4"}
	for _, w := range all {
		c.Kill(w)
	}
	c.WaitFor("all workers down", 6*lease, func() bool { return c.ReadyWorkers() == 0 })
	time.Sleep(2 * time.Second)
	if now := c.FindBuild(p.BuildDir(), since); now == nil || now.Status != "running" {
		out, _ := r.Wait(t, time.Minute)
		t.Fatalf("with no worker the build should wait; it is %v; dmake's output ends:\n%s", now, tail(out, 15))
	} else {
		t.Logf("no workers: build %s waits at %d/%d (was %d at the kill)", now.Id, now.Done, now.Steps, b.Done)
	}
	c.NewWorker("w5")
	c.NewWorker("w6")
	buildAndCheck(t, c, p, ref, r, since, Expect{LossWorkers: all, Reasons: []string{ReasonLease}, MinLosses: 1})
}

// Scenario 7: kill the client mid-build and reattach from a new one: the
// build went on, and the new client's output is complete.
func TestClientKilledAndReattached(t *testing.T) {
	c, p, ref := setup(t)
	r, since := startBuild(t, c, p, 16)
	b := c.WaitProgress(t, p.BuildDir(), since, progressAt)
	r.Kill()
	t.Logf("client killed at %d/%d", b.Done, b.Steps)
	c.WaitFor("the build to go on without its client", 60*time.Second, func() bool {
		now := c.FindBuild(p.BuildDir(), since)
		return now != nil && (now.Done > b.Done || now.Status != "running")
	})
	a := c.StartDmake(t, p.BuildDir(), "cluster", "attach", b.Id)
	out, err := a.Wait(t, 10*time.Minute)
	if err != nil {
		t.Fatalf("dmake cluster attach %s: %v\n%s", b.Id, err, tail(out, 40))
	}
	ended, serr := Snapshot(p.BuildDir())
	if serr != nil {
		t.Fatal(serr)
	}
	checkOutputHas(t, "the reattached client's output", stripDirLines(ref), out)
	checkCluster(t, c, p, since, Expect{}, ended)
}

// stripDirLines drops make's "Entering/Leaving directory" lines: a client
// attaching to a running build prints the build's output, not its own -C.
func stripDirLines(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "ing directory '") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// Scenario 8: drain a worker mid-build with a short deadline: nothing new
// goes there, and at the deadline what still runs there is requeued (a
// drain, not a loss).
func TestDrainWithDeadline(t *testing.T) {
	c, p, ref := setup(t)
	r, since := startBuild(t, c, p, 16)
	c.WaitProgress(t, p.BuildDir(), since, progressAt)
	w := c.BusiestWorker(t)
	drained := time.Now()
	c.MustDmaked("drain", "--deadline", "1s", w)
	recs := buildAndCheck(t, c, p, ref, r, since, Expect{LossWorkers: []string{w}, Reasons: []string{ReasonDrain}})
	for _, a := range recs.Attempts {
		if a.Worker == w && a.StartMs > drained.Add(time.Second).UnixMilli() {
			t.Errorf("step %d (%s) attempt %d started on drained %s at %d, after the drain (%d)", a.Step, a.Target, a.Attempt, w, a.StartMs, drained.UnixMilli())
		}
	}
	if st := c.WorkerStatus(w); st != "draining" {
		t.Errorf("%s is %q after the drain, want draining", w, st)
	}
	c.MustDmaked("undrain", w)
}
