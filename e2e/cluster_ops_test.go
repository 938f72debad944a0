//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"
)

// These tests need no build: they prove the harness, the cluster's bring-up
// and the fault injections against what dmaked itself reports.

// TestLeaderElectionAndFailover: the cluster elects a leader with all three
// coordinators as voters; killing the leader elects another; the killed one
// restarts from its data volume and rejoins as a follower.
func TestLeaderElectionAndFailover(t *testing.T) {
	c := startCluster(t)
	out := c.MustDmaked("operator", "raft", "list-peers")
	for _, id := range []string{"c1", "c2", "c3"} {
		if !strings.Contains(out, id+" ") {
			t.Fatalf("list-peers does not show %s:\n%s", id, out)
		}
	}
	old := c.LeaderID()
	killed := time.Now()
	c.Kill(ServiceOf(old))
	var next string
	c.WaitFor("a new leader", 30*time.Second, func() bool {
		next = c.LeaderID()
		return next != "" && next != old
	})
	t.Logf("leader %s killed; %s elected after %.1fs", old, next, time.Since(killed).Seconds())
	c.Start(ServiceOf(old))
	c.WaitFor(old+" back as a voter, following", 30*time.Second, func() bool {
		st := c.Status()
		if st == nil || st.LeaderId == "" {
			return false
		}
		for _, s := range st.Servers {
			if s.Id == old && s.Voter && !s.Leader {
				return len(st.Servers) == 3
			}
		}
		return false
	})
	c.WaitFor("4 ready workers after failover", 30*time.Second, func() bool { return c.ReadyWorkers() == 4 })
	// Leadership moves on request too (the rolling-upgrade step of docs/operations.md).
	c.MustDmaked("operator", "raft", "transfer-leader", old)
	c.WaitFor("leadership transferred to "+old, 20*time.Second, func() bool { return c.LeaderID() == old })
}

// TestWorkerFaults: each fault injection the scenarios use moves a worker
// to the state the cluster should record: kill → down, then start → ready;
// pause past its lease → down, unpause → ready again (new session);
// partition past its lease → down, reconnect → ready; drain/undrain; a new
// worker container joins.
//
// The build scenarios inject the same faults, so -short (CI) skips this.
func TestWorkerFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the build scenarios inject the same faults")
	}
	c := startCluster(t)
	session := func(id string) uint64 {
		for _, w := range c.Workers() {
			if w.Id == id {
				return w.Session
			}
		}
		return 0
	}
	downThenUp := func(id string, fault, heal func(string)) {
		t.Helper()
		before := session(id)
		at := time.Now()
		fault(id)
		c.WaitFor(id+" down", 4*lease, func() bool { return c.WorkerStatus(id) == "down" })
		t.Logf("%s down %.1fs after the fault (lease %v)", id, time.Since(at).Seconds(), lease)
		heal(id)
		c.WaitFor(id+" ready in a new session", 60*time.Second, func() bool {
			return c.WorkerStatus(id) == "ready" && session(id) != before
		})
	}
	downThenUp("w1", c.Kill, c.Start)
	downThenUp("w2", c.Pause, c.Unpause)
	downThenUp("w3", c.Disconnect, c.Connect)

	c.MustDmaked("drain", "w4")
	c.WaitFor("w4 draining", 10*time.Second, func() bool { return c.WorkerStatus("w4") == "draining" })
	c.MustDmaked("undrain", "w4")
	c.WaitFor("w4 ready", 10*time.Second, func() bool { return c.WorkerStatus("w4") == "ready" })

	c.NewWorker("w5")
	c.WaitFor("w5 ready", 60*time.Second, func() bool { return c.WorkerStatus("w5") == "ready" })
	c.MustDmaked("workers")
}
