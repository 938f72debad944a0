//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dmake/dmake/pkg/cluster/client"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// Attempt is one dispatch of one step, as the cluster records it. This is
// the JSON form the suite checks (and writes to records/TEST.json in the
// shared tree for inspection). Today it is derived from the build's events
// (STEP_STARTED, STEP_LOST, STEP_FINISHED; times leader-stamped). The
// Proc* fields are the worker's own observation of the recipe's process
// group (first process started, last one reaped); the cluster does not
// expose them yet, so they are zero and the checks use the leader's times.
type Attempt struct {
	Build       string `json:"build"`
	Step        int32  `json:"step"`
	Target      string `json:"target"`
	Attempt     uint32 `json:"attempt"`
	Worker      string `json:"worker"`
	StartMs     int64  `json:"started_unix_ms"`  // leader: assignment committed
	EndMs       int64  `json:"ended_unix_ms"`    // leader: result accepted or attempt taken back; 0 while open
	End         string `json:"end"`              // "finished", "lost" or "" (still open)
	Status      string `json:"status,omitempty"` // step status after the end event
	Reason      string `json:"reason,omitempty"` // why a lost attempt was taken back
	ProcStartMs int64  `json:"proc_started_unix_ms,omitempty"`
	ProcEndMs   int64  `json:"proc_ended_unix_ms,omitempty"`
}

// Records is what the suite reads from the cluster about one build.
type Records struct {
	Build    string
	Events   []*pb.Event
	Attempts []Attempt
	Status   string // the build's final status (BUILD_FINISHED)
}

// FetchRecords reads every event of a finished build from the cluster.
func FetchRecords(t *testing.T, cl *client.Client, build string) *Records {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := &Records{Build: build}
	_, err := cl.Events(ctx, build, 1, func(e *client.Event) error {
		r.Events = append(r.Events, e)
		if e.Kind == pb.Event_BUILD_FINISHED {
			r.Status = e.Status
		}
		return nil
	})
	if err != nil {
		t.Fatalf("events of build %s: %v", build, err)
	}
	open := map[int32]int{} // step → index in Attempts of its open attempt
	for _, e := range r.Events {
		switch e.Kind {
		case pb.Event_STEP_STARTED:
			open[e.Step] = len(r.Attempts)
			r.Attempts = append(r.Attempts, Attempt{Build: build, Step: e.Step, Target: e.Target, Attempt: e.Attempt, Worker: e.Worker, StartMs: e.TimeUnixMs})
		case pb.Event_STEP_LOST, pb.Event_STEP_FINISHED:
			i, ok := open[e.Step]
			if !ok || r.Attempts[i].Attempt != e.Attempt {
				continue // reported by Check
			}
			a := &r.Attempts[i]
			a.EndMs, a.Status, a.Reason = e.TimeUnixMs, e.Status, e.Message
			a.End = "finished"
			if e.Kind == pb.Event_STEP_LOST {
				a.End = "lost"
			}
			delete(open, e.Step)
		}
	}
	return r
}

// Save writes the attempts as JSON to path, for inspection.
func (r *Records) Save(t *testing.T, path string) {
	b, _ := json.MarshalIndent(r.Attempts, "", "  ")
	err := os.MkdirAll(filepath.Dir(path), 0o755)
	if err == nil {
		err = os.WriteFile(path, b, 0o644)
	}
	if err != nil {
		t.Log(err)
	}
}

// Expect says which requeues a scenario explains: losses only on these
// workers (any, if empty) and only with a reason containing one of these
// phrases.
type Expect struct {
	LossWorkers []string
	Reasons     []string
	MinLosses   int // at least this many attempts were taken back (the fault landed)
}

// Reasons the coordinator gives when it takes an attempt back.
var (
	ReasonLease    = "lost its lease"
	ReasonFenced   = "killed the step"
	ReasonAgain    = "registered again"
	ReasonDrain    = "drain deadline"
	ReasonUndelivd = "was not delivered"
)

// Check verifies the invariants every scenario shares: event numbers 1..n
// without gap; per step, attempts strictly increasing, each started only
// when the previous one had ended (never two at once), the last one
// finished, every earlier one lost for a reason the scenario explains; the
// build finished successfully.
func (r *Records) Check(t *testing.T, want Expect) {
	t.Helper()
	for i, e := range r.Events {
		if e.Seq != uint64(i+1) {
			t.Errorf("event %d has sequence number %d (gap or repeat)", i+1, e.Seq)
			break
		}
	}
	byStep := map[int32][]Attempt{}
	for _, a := range r.Attempts {
		byStep[a.Step] = append(byStep[a.Step], a)
	}
	losses := 0
	for _, e := range r.Events {
		if e.Kind == pb.Event_STEP_STARTED {
			as := byStep[e.Step]
			if n := len(as); n > 1 && as[n-2].End == "" {
				t.Errorf("step %d (%s): attempt %d started while attempt %d was running", e.Step, e.Target, as[n-1].Attempt, as[n-2].Attempt)
			}
		}
	}
	steps := make([]int32, 0, len(byStep))
	for s := range byStep {
		steps = append(steps, s)
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i] < steps[j] })
	for _, s := range steps {
		as := byStep[s]
		for i, a := range as {
			last := i == len(as)-1
			if i > 0 {
				prev := as[i-1]
				if a.Attempt <= prev.Attempt {
					t.Errorf("step %d (%s): attempt %d after attempt %d", s, a.Target, a.Attempt, prev.Attempt)
				}
				if prev.EndMs == 0 || a.StartMs < prev.EndMs {
					t.Errorf("step %d (%s): attempt %d on %s started at %d, before attempt %d on %s ended (%d): two at once",
						s, a.Target, a.Attempt, a.Worker, a.StartMs, prev.Attempt, prev.Worker, prev.EndMs)
				}
			}
			switch {
			case last && a.End != "finished":
				t.Errorf("step %d (%s): last attempt %d on %s did not finish (%q)", s, a.Target, a.Attempt, a.Worker, a.End)
			case !last && a.End != "lost":
				t.Errorf("step %d (%s): attempt %d on %s ended %q but was followed by attempt %d", s, a.Target, a.Attempt, a.Worker, a.End, as[i+1].Attempt)
			case a.End == "lost":
				losses++
				if why := explained(a, want); why != "" {
					t.Errorf("step %d (%s): attempt %d on %s taken back unexplained: %s", s, a.Target, a.Attempt, a.Worker, why)
				}
			}
		}
	}
	if losses < want.MinLosses {
		t.Errorf("%d attempts were taken back; the fault should have cost at least %d (did it land mid-build?)", losses, want.MinLosses)
	}
	if r.Status != "succeeded" {
		t.Errorf("build %s finished with status %q (no BUILD_FINISHED event if empty)", r.Build, r.Status)
	}
	t.Logf("records: build %s, %d events, %d steps, %d attempts, %d taken back, status %s",
		r.Build, len(r.Events), len(byStep), len(r.Attempts), losses, r.Status)
}

func explained(a Attempt, want Expect) string {
	if len(want.LossWorkers) > 0 && !contains(want.LossWorkers, a.Worker) {
		return fmt.Sprintf("worker %s was not faulted (faulted: %s); reason %q", a.Worker, strings.Join(want.LossWorkers, ","), a.Reason)
	}
	if a.Reason == "" {
		return "no reason recorded"
	}
	for _, r := range want.Reasons {
		if strings.Contains(a.Reason, r) {
			return ""
		}
	}
	return fmt.Sprintf("reason %q is not one this scenario explains (%s)", a.Reason, strings.Join(want.Reasons, "; "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
