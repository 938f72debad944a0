package coord

import (
	"slices"
	"time"

	"github.com/dmake/dmake/pkg/cluster/fsm"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"github.com/dmake/dmake/pkg/graph/buildstate"
)

// scheduleLoop runs on the leader. It wakes when the FSM changes, when a
// worker connects, or every 250 ms (for loss backoffs that end), waits
// SchedInterval to let more changes arrive, then runs one round: one Assign
// entry for everything it can start. Only this loop assigns, so two rounds
// never race for the same step or slot.
func (ld *leader) scheduleLoop() {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		changed := ld.c.fsm.Changed()
		select {
		case <-ld.ctx.Done():
			return
		case <-changed:
		case <-ld.wake:
		case <-tick.C:
		}
		sleepCtx(ld.ctx, ld.c.cfg.SchedInterval)
		if ld.ctx.Err() != nil {
			return
		}
		ld.round()
	}
}

// slot is a worker that can take steps in this round.
type slot struct {
	conn *workerConn
	free int
}

// candidate is a ready step the round may start.
type candidate struct {
	build  *fsm.Build // identity only: read its fields under the FSM lock
	step   buildstate.StepID
	assign *pb.Assign        // what to send if it is assigned (Ref.Attempt to fill)
	lostOn []string          // workers to avoid if another is free
	cannot map[string]string // workers that must not get it (and why)
}

// plan is the pure part of a round: given ready steps per build (in each
// build's order, already filtered by -j and backoff) and free slots, choose
// assignments. Builds take turns, one step each, so several builds share
// the workers fairly. A step goes to the worker with the most free slots,
// preferring one that has not lost it before.
func plan(perBuild [][]candidate, slots []*slot) []assignment {
	var out []assignment
	next := make([]int, len(perBuild))
	for progress := true; progress; {
		progress = false
		for bi, list := range perBuild {
			if next[bi] >= len(list) {
				continue
			}
			cand := list[next[bi]]
			s := pickSlot(slots, cand.lostOn, cand.cannot)
			if s == nil {
				if cand.cannot == nil {
					return out // no free slot anywhere
				}
				next[bi] = len(list) // no slot this build may use
				continue
			}
			next[bi]++
			s.free--
			out = append(out, assignment{cand: cand, conn: s.conn})
			progress = true
		}
	}
	return out
}

type assignment struct {
	cand candidate
	conn *workerConn
}

func pickSlot(slots []*slot, avoid []string, cannot map[string]string) *slot {
	var best, bestAvoided *slot
	for _, s := range slots {
		if _, no := cannot[s.conn.id]; s.free <= 0 || no {
			continue
		}
		if slices.Contains(avoid, s.conn.id) {
			if bestAvoided == nil || s.free > bestAvoided.free {
				bestAvoided = s
			}
		} else if best == nil || s.free > best.free {
			best = s
		}
	}
	if best != nil {
		return best
	}
	return bestAvoided
}

// round chooses, commits and sends one batch of assignments.
// Pipeline is how many steps per slot the scheduler lets a worker hold.
const Pipeline = 2

func (ld *leader) round() {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	now := time.Now()
	var perBuild [][]candidate
	var slots []*slot
	ld.c.fsm.Read(func(st *fsm.State) {
		for _, wc := range ld.conns {
			w := st.Workers[wc.id]
			// A worker is given up to Pipeline times its slots: it runs
			// Slots at once and queues the rest, so the round trip of a
			// result and the next assignment (two Raft commits) overlaps
			// work instead of leaving a slot idle.
			if limit := w.Slots * Pipeline; w != nil && w.Session == wc.session && w.Status == fsm.StatusReady && w.Running < limit {
				slots = append(slots, &slot{conn: wc, free: int(limit - w.Running)})
			}
		}
		if len(slots) == 0 {
			return
		}
		slices.SortFunc(slots, func(a, b *slot) int { return cmpString(a.conn.id, b.conn.id) })
		for _, b := range st.SortedBuilds() {
			if !b.Sealed || b.Finished || b.Cancelled || b.State.Stopped() {
				continue
			}
			limit := -1
			if b.Options.Jobs > 0 {
				limit = int(b.Options.Jobs) - b.State.Running()
				if limit <= 0 {
					continue
				}
			}
			var list []candidate
			cannot := ld.refused[b.ID]
			if len(b.Options.Labels) > 0 {
				cannot = lacking(cannot, b.Options.Labels, slots, st)
			}
			for _, id := range b.State.ReadySteps() {
				if limit >= 0 && len(list) >= limit {
					break
				}
				si := &b.Steps[id]
				if losses := b.State.Losses(id); losses > 0 && now.Before(time.UnixMilli(si.LostAt).Add(ld.c.cfg.backoff(losses))) {
					continue
				}
				spec := &b.Specs[id]
				list = append(list, candidate{build: b, step: id, lostOn: si.LostOn, cannot: cannot,
					assign: &pb.Assign{Ref: &pb.StepRef{Build: b.ID, Step: int32(id)}, Dir: b.Dir, Target: spec.Target, Payload: spec.Payload}})
			}
			if len(list) > 0 {
				perBuild = append(perBuild, list)
			}
		}
	})
	chosen := plan(perBuild, slots)
	if len(chosen) == 0 {
		return
	}
	cmd := &fsm.Assign{Stamp: stamp()}
	for _, a := range chosen {
		cmd.Items = append(cmd.Items, fsm.AssignItem{Build: a.cand.assign.Ref.Build, Step: int32(a.cand.step), Worker: a.conn.id, Session: a.conn.session})
	}
	res, err := ld.c.apply(fsm.AssignType, cmd)
	if err != nil {
		ld.c.log.Warn("assign", "err", err)
		return
	}
	for i, a := range chosen {
		if res.Items[i] != nil {
			continue
		}
		m := a.cand.assign
		m.Ref.Attempt, m.Session = res.Attempts[i], a.conn.session
		a.conn.send(&pb.CoordMsg{Msg: &pb.CoordMsg_Assign{Assign: m}})
	}
}

// lacking adds to cannot the workers that lack one of the build's labels.
func lacking(cannot map[string]string, labels []string, slots []*slot, st *fsm.State) map[string]string {
	out := map[string]string{}
	for w, why := range cannot {
		out[w] = why
	}
	for _, s := range slots {
		have := st.Workers[s.conn.id].Labels
		for _, l := range labels {
			if !slices.Contains(have, l) {
				out[s.conn.id] = "lacks label " + l
				break
			}
		}
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func buildstateID(i int) buildstate.StepID { return buildstate.StepID(i) }
