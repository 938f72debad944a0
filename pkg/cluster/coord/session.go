package coord

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dmake/dmake/pkg/cluster/fsm"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"github.com/dmake/dmake/pkg/graph/buildstate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// workerConn is a worker's live stream to this leader. Messages to the
// worker go through out, drained by one sender goroutine (a gRPC stream
// allows one sender at a time).
type workerConn struct {
	id      string
	session uint64
	out     chan *pb.CoordMsg
	done    chan struct{}
	once    sync.Once
	live    atomic.Bool // registered in leader.conns: its messages renew the lease
}

func (wc *workerConn) close() { wc.once.Do(func() { close(wc.done) }) }

// send queues a message; a worker too slow to take 4096 queued messages is
// disconnected (it reconnects and reconciles).
func (wc *workerConn) send(m *pb.CoordMsg) bool {
	select {
	case <-wc.done:
		return false
	default:
	}
	select {
	case wc.out <- m:
		return true
	default:
		wc.close()
		return false
	}
}

// WorkerSession serves one worker's stream on the leader. The first message
// must be a Hello. A Hello for a session that has ended gets SessionExpired
// (the worker kills everything and says Hello again with session 0). A Hello
// with session 0 registers a new session. A Hello for the current session
// resumes it: the worker's inventory is reconciled with the FSM before the
// worker may take new steps.
func (c *Coordinator) WorkerSession(stream pb.Coordinator_WorkerSessionServer) error {
	ld := c.leaderOrNil()
	if ld == nil {
		return c.notLeader()
	}
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	hello := first.GetHello()
	if hello == nil || hello.WorkerId == "" {
		return status.Error(codes.InvalidArgument, "first message must be a Hello with a worker id")
	}
	wc := &workerConn{id: hello.WorkerId, out: make(chan *pb.CoordMsg, 4096), done: make(chan struct{})}
	sendErr, pumped := make(chan error, 1), make(chan struct{})
	go func() { sendErr <- wc.pump(stream); close(pumped) }()
	// gRPC streams must not be used after the handler returns: let the
	// sender flush and stop first (bounded, in case the worker does not read).
	defer func() {
		wc.close()
		select {
		case <-pumped:
		case <-time.After(2 * time.Second):
		}
	}()

	session, err := ld.open(wc, hello)
	if err != nil {
		return err
	}
	if session == 0 {
		wc.send(&pb.CoordMsg{Msg: &pb.CoordMsg_SessionExpired{SessionExpired: &pb.SessionExpired{Session: hello.Session}}})
		return nil
	}
	defer ld.drop(wc)
	recvErr := make(chan error, 1)
	go func() { recvErr <- ld.receive(wc, stream) }()
	select {
	case err := <-recvErr:
		return err
	case err := <-sendErr:
		return err
	case <-ld.ctx.Done():
		return status.Error(codes.Unavailable, "leadership lost")
	}
}

// pump sends queued messages until the connection closes, then flushes what
// is already queued.
func (wc *workerConn) pump(stream pb.Coordinator_WorkerSessionServer) error {
	for {
		select {
		case m := <-wc.out:
			if err := stream.Send(m); err != nil {
				wc.close()
				return err
			}
		case <-wc.done:
			for {
				select {
				case m := <-wc.out:
					if err := stream.Send(m); err != nil {
						return err
					}
				default:
					return nil
				}
			}
		}
	}
}

// open registers or resumes the worker's session and reconciles it. It
// returns 0 if the worker's session has ended.
func (ld *leader) open(wc *workerConn, h *pb.Hello) (uint64, error) {
	c := ld.c
	// No scheduler round may be assigning to this worker while we look.
	ld.mu.Lock()
	if old := ld.conns[h.WorkerId]; old != nil {
		old.live.Store(false)
		old.close()
		delete(ld.conns, h.WorkerId)
	}
	ld.mu.Unlock()

	var cur *fsm.Worker
	c.fsm.Read(func(st *fsm.State) {
		if w := st.Workers[h.WorkerId]; w != nil {
			cp := *w
			cur = &cp
		}
	})
	if h.Session != 0 && (cur == nil || cur.Session != h.Session || cur.Status == fsm.StatusDown) {
		return 0, nil
	}
	if h.Session == 0 && cur != nil && cur.Status != fsm.StatusDown && cur.Running > 0 && ld.leaseLive(h.WorkerId) {
		// Another process claims this ID (a restart, or a duplicate) while
		// the current session still holds steps under a live lease. Ending
		// that session now could run its steps twice if its process is
		// alive behind a partition; it ends when its lease expires (the
		// process has fenced itself by then), and this one retries.
		return 0, status.Errorf(codes.Unavailable, "worker %s: its previous session still holds steps under a live lease; retry after it expires", h.WorkerId)
	}
	session := h.Session
	if session == 0 {
		res, err := c.apply(fsm.WorkerRegisterType, &fsm.WorkerRegister{ID: h.WorkerId, Name: h.Name, Slots: h.Slots, Labels: h.Labels, Stamp: stamp()})
		if err != nil {
			return 0, c.toStatus(err)
		}
		session = res.Session
		c.log.Info("worker registered", "worker", h.WorkerId, "session", session, "slots", h.Slots, "lost", res.Lost)
		ld.noteLosses(h.WorkerId, res.Lost)
	} else if err := ld.reconcile(wc, h); err != nil {
		return 0, c.toStatus(err)
	}
	wc.session = session
	wc.send(&pb.CoordMsg{Msg: &pb.CoordMsg_Welcome{Welcome: &pb.Welcome{
		Session: session, HeartbeatIntervalMs: c.cfg.HeartbeatInterval.Milliseconds(), TtlMs: c.cfg.WorkerTTL.Milliseconds()}}})
	ld.dlMu.Lock()
	ld.deadlines[h.WorkerId] = time.Now().Add(c.cfg.WorkerTTL + c.cfg.WorkerGrace)
	ld.dlMu.Unlock()
	ld.mu.Lock()
	ld.conns[h.WorkerId] = wc
	wc.live.Store(true)
	ld.mu.Unlock()
	ld.poke()
	return session, nil
}

// leaseLive reports whether a worker's lease deadline is still ahead.
func (ld *leader) leaseLive(id string) bool {
	ld.dlMu.Lock()
	defer ld.dlMu.Unlock()
	dl, ok := ld.deadlines[id]
	return ok && time.Now().Before(dl)
}

// reconcile compares a resuming worker's inventory with the FSM. Its
// pending results it resends itself after Welcome (with their output). Attempts the FSM gives to this
// session that the worker neither runs nor finished were never delivered
// (requeued, not a loss) or were killed by the worker when it lost its lease
// (requeued as a loss). Attempts the worker runs that are not current are
// cancelled on the worker.
func (ld *leader) reconcile(wc *workerConn, h *pb.Hello) error {
	have := map[stepKey]bool{}
	for _, r := range h.Running {
		have[refKey(r)] = true
	}
	fenced := map[stepKey]bool{}
	for _, r := range h.Fenced {
		fenced[refKey(r)] = true
	}
	for _, r := range h.Pending {
		have[refKey(r.Ref)] = true // the worker resends it after Welcome
	}
	var req fsm.Requeue
	current := map[stepKey]bool{}
	ld.c.fsm.Read(func(st *fsm.State) {
		for _, b := range st.SortedBuilds() {
			if !b.Sealed {
				continue
			}
			for i := range b.Steps {
				si := &b.Steps[i]
				id := buildstate.StepID(i)
				if si.Worker != h.WorkerId || si.Session != h.Session || b.State.Status(id) != buildstate.Running {
					continue
				}
				k := stepKey{b.ID, int32(i), b.State.Attempt(id)}
				current[k] = true
				switch {
				case fenced[k]:
					req.Items = append(req.Items, fsm.RequeueItem{Build: b.ID, Step: k.step, Attempt: k.attempt, Reason: "worker " + h.WorkerId + " lost its lease and killed the step", Counted: true})
				case !have[k]:
					req.Items = append(req.Items, fsm.RequeueItem{Build: b.ID, Step: k.step, Attempt: k.attempt, Reason: "assignment to " + h.WorkerId + " was not delivered"})
				}
			}
		}
	})
	if len(req.Items) > 0 {
		req.Stamp = stamp()
		if _, err := ld.c.apply(fsm.RequeueType, &req); err != nil {
			return err
		}
	}
	for _, r := range h.Running {
		if k := refKey(r); !current[k] {
			wc.send(cancelMsg(k, "not this worker's step any more"))
		}
	}
	return nil
}

func refKey(r *pb.StepRef) stepKey {
	if r == nil {
		return stepKey{}
	}
	return stepKey{r.Build, r.Step, r.Attempt}
}

func cancelMsg(k stepKey, reason string) *pb.CoordMsg {
	return &pb.CoordMsg{Msg: &pb.CoordMsg_Cancel{Cancel: &pb.Cancel{Ref: &pb.StepRef{Build: k.build, Step: k.step, Attempt: k.attempt}, Reason: reason}}}
}

// drop forgets a closed stream, unless a newer one replaced it. The lease
// keeps running: a dropped stream is not a lost worker.
func (ld *leader) drop(wc *workerConn) {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	if ld.conns[wc.id] == wc {
		wc.live.Store(false)
		delete(ld.conns, wc.id)
	}
}

// receive handles the worker's messages until the stream ends.
func (ld *leader) receive(wc *workerConn, stream pb.Coordinator_WorkerSessionServer) error {
	ttl := ld.c.cfg.WorkerTTL + ld.c.cfg.WorkerGrace
	for {
		m, err := stream.Recv()
		if err != nil {
			return err
		}
		if wc.live.Load() {
			ld.dlMu.Lock()
			ld.deadlines[wc.id] = time.Now().Add(ttl)
			ld.dlMu.Unlock()
		}
		switch x := m.Msg.(type) {
		case *pb.WorkerMsg_Heartbeat:
			wc.send(&pb.CoordMsg{Msg: &pb.CoordMsg_HeartbeatAck{HeartbeatAck: &pb.HeartbeatAck{Seq: x.Heartbeat.Seq}}})
		case *pb.WorkerMsg_Output:
			ld.results <- report{conn: wc, output: x.Output}
		case *pb.WorkerMsg_Result:
			ld.results <- report{conn: wc, result: x.Result}
		case *pb.WorkerMsg_Refuse:
			ld.refuse(wc, x.Refuse)
		case *pb.WorkerMsg_Started:
		case *pb.WorkerMsg_Hello:
			return status.Error(codes.InvalidArgument, "second Hello on one stream")
		}
	}
}

// refuse records that a worker cannot run a build's steps (it does not see
// the build's files) and requeues the attempt it gave back, not as a loss.
// The scheduler then leaves that worker out for that build.
func (ld *leader) refuse(wc *workerConn, r *pb.Refuse) {
	if r.Ref == nil {
		return
	}
	ld.mu.Lock()
	if ld.refused[r.Ref.Build] == nil {
		ld.refused[r.Ref.Build] = map[string]string{}
	}
	ld.refused[r.Ref.Build][wc.id] = r.Reason
	ld.mu.Unlock()
	ld.c.log.Warn("worker refused a build", "worker", wc.id, "build", r.Ref.Build, "why", r.Reason)
	_, _ = ld.c.apply(fsm.RequeueType, &fsm.Requeue{Stamp: stamp(), Items: []fsm.RequeueItem{{
		Build: r.Ref.Build, Step: r.Ref.Step, Attempt: r.Ref.Attempt, Reason: "worker " + wc.id + " cannot run this build: " + r.Reason}}})
}

// refusals returns, per worker, "BUILD: why" for the builds it refused.
func (ld *leader) refusals() map[string][]string {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	out := map[string][]string{}
	for b, ws := range ld.refused {
		for w, why := range ws {
			out[w] = append(out[w], b+": "+why)
		}
	}
	for _, l := range out {
		sort.Strings(l)
	}
	return out
}

func (c *Coordinator) leaderOrNil() *leader {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ld
}

// notLeaderPrefix starts the message of the FailedPrecondition error a
// follower returns; the leader's RPC address follows it.
const notLeaderPrefix = "dmake: not the leader; leader at "

func (c *Coordinator) notLeader() error {
	return status.Error(codes.FailedPrecondition, notLeaderPrefix+c.leaderRPC())
}

// toStatus maps an apply error to a gRPC status.
func (c *Coordinator) toStatus(err error) error {
	if errors.Is(err, errNotLeader) {
		return c.notLeader()
	}
	return status.Error(codes.Internal, err.Error())
}

// LeaderFromError reports whether err is a follower's redirect, and the
// leader's RPC address it names ("" if the follower knows no leader yet).
func LeaderFromError(err error) (string, bool) {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.FailedPrecondition {
		return "", false
	}
	msg := st.Message()
	if len(msg) < len(notLeaderPrefix) || msg[:len(notLeaderPrefix)] != notLeaderPrefix {
		return "", false
	}
	return msg[len(notLeaderPrefix):], true
}
