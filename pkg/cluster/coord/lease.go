package coord

import (
	"time"

	"github.com/dmake/dmake/pkg/cluster/fsm"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"github.com/dmake/dmake/pkg/graph/buildstate"
)

// leaseLoop runs on the leader every quarter second. It
//   - commits WorkerDown{worker, session} for each worker whose lease
//     (renewed by any message on its stream) ended, and tells a still
//     connected worker its session expired;
//   - tells workers to kill the running steps of cancelled builds;
//   - at a drain deadline, requeues what still runs on the drained worker
//     (not a loss) and tells it to kill those steps;
//   - forgets builds finished longer than BuildRetention ago.
//
// Deadlines are leader-local and start, after an election, at the failover
// grace for every worker. Each commit is conditional in the FSM (the session
// must still be current; the attempt must still be running), so a late or
// repeated decision changes nothing.
func (ld *leader) leaseLoop() {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ld.ctx.Done():
			return
		case <-tick.C:
		}
		ld.expireLeases(time.Now())
		ld.stopSteps(time.Now())
		ld.collectBuilds(time.Now())
	}
}

func (ld *leader) expireLeases(now time.Time) {
	type expired struct {
		id      string
		session uint64
	}
	var due []expired
	ld.dlMu.Lock()
	ld.c.fsm.Read(func(st *fsm.State) {
		for _, w := range st.SortedWorkers() {
			if w.Status == fsm.StatusDown {
				continue
			}
			dl, ok := ld.deadlines[w.ID]
			if !ok {
				dl = now.Add(max(ld.c.cfg.FailoverGrace, ld.c.cfg.WorkerTTL+ld.c.cfg.WorkerGrace))
				ld.deadlines[w.ID] = dl
			}
			if now.After(dl) {
				due = append(due, expired{w.ID, w.Session})
			}
		}
	})
	ld.dlMu.Unlock()
	for _, e := range due {
		ld.dlMu.Lock()
		renewed := ld.deadlines[e.id].After(time.Now())
		ld.dlMu.Unlock()
		if renewed {
			continue // a message arrived meanwhile
		}
		res, err := ld.c.apply(fsm.WorkerDownType, &fsm.WorkerDown{ID: e.id, Session: e.session, Reason: "worker " + e.id + " lost its lease", Stamp: stamp()})
		if err != nil {
			return
		}
		ld.c.log.Warn("worker lease expired", "worker", e.id, "session", e.session, "lost", res.Lost, "rejected", res.Err)
		ld.noteLosses(e.id, res.Lost)
		ld.mu.Lock()
		if wc := ld.conns[e.id]; wc != nil && wc.session == e.session {
			wc.live.Store(false)
			wc.send(&pb.CoordMsg{Msg: &pb.CoordMsg_SessionExpired{SessionExpired: &pb.SessionExpired{Session: e.session}}})
			wc.close()
			delete(ld.conns, e.id)
		}
		ld.mu.Unlock()
		ld.dlMu.Lock()
		delete(ld.deadlines, e.id)
		ld.dlMu.Unlock()
	}
}

func (ld *leader) stopSteps(now time.Time) {
	type stop struct {
		k      stepKey
		worker string
		drain  bool
	}
	var stops []stop
	ld.c.fsm.Read(func(st *fsm.State) {
		drainDue := false
		for _, w := range st.Workers {
			drainDue = drainDue || (w.Status == fsm.StatusDraining && w.DrainDeadline > 0 && now.UnixMilli() >= w.DrainDeadline && w.Running > 0)
		}
		for _, b := range st.SortedBuilds() {
			if !b.Sealed || b.Finished || (!b.Cancelled && !drainDue) {
				continue // nothing of this build to stop: skip its steps
			}
			for i := range b.Steps {
				id := buildstate.StepID(i)
				if b.State.Status(id) != buildstate.Running {
					continue
				}
				si := &b.Steps[i]
				k := stepKey{b.ID, int32(i), b.State.Attempt(id)}
				w := st.Workers[si.Worker]
				switch {
				case b.Cancelled:
					stops = append(stops, stop{k, si.Worker, false})
				case w != nil && w.Status == fsm.StatusDraining && w.DrainDeadline > 0 && now.UnixMilli() >= w.DrainDeadline:
					stops = append(stops, stop{k, si.Worker, true})
				}
			}
		}
	})
	var req fsm.Requeue
	for _, s := range stops {
		if s.drain {
			req.Items = append(req.Items, fsm.RequeueItem{Build: s.k.build, Step: s.k.step, Attempt: s.k.attempt, Reason: "drain deadline on " + s.worker})
		}
	}
	if len(req.Items) > 0 {
		req.Stamp = stamp()
		if _, err := ld.c.apply(fsm.RequeueType, &req); err != nil {
			return
		}
	}
	ld.mu.Lock()
	defer ld.mu.Unlock()
	if len(ld.cancelled) > 100000 {
		ld.cancelled = map[stepKey]bool{} // at worst a step is told twice
	}
	for _, s := range stops {
		if ld.cancelled[s.k] {
			continue
		}
		if wc := ld.conns[s.worker]; wc != nil {
			reason := "build cancelled"
			if s.drain {
				reason = "drain deadline"
			}
			if wc.send(cancelMsg(s.k, reason)) {
				ld.cancelled[s.k] = true
			}
		}
	}
}

func (ld *leader) collectBuilds(now time.Time) {
	var old []string
	ld.c.fsm.Read(func(st *fsm.State) {
		for _, b := range st.SortedBuilds() {
			if b.Finished && now.Sub(time.UnixMilli(b.FinishedAt)) > ld.c.cfg.BuildRetention {
				old = append(old, b.ID)
			}
		}
	})
	for _, id := range old {
		if _, err := ld.c.apply(fsm.BuildGCType, &fsm.BuildGC{ID: id}); err != nil {
			return
		}
		ld.mu.Lock()
		delete(ld.refused, id)
		ld.mu.Unlock()
	}
}
