// Package worker is the worker agent: it keeps one session with the
// coordinators' leader, runs the steps it is assigned through a
// cluster.StepRunner, streams their output and reports their results.
//
// Safety rests on three rules. Results are kept until the leader
// acknowledges them (accepted or rejected) and resent on every reconnect;
// the FSM makes resending harmless. A worker that has not renewed its lease
// for its TTL kills its running steps itself (self-fencing), before the
// leader, which waits TTL plus a grace, declares it lost and runs them
// elsewhere. A worker whose session has ended kills everything, forgets its
// results and registers anew.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/client"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Config configures a worker agent.
type Config struct {
	ID           string // stable identity; default Name
	Name         string // default the host name
	Slots        int    // steps at once; must be > 0
	Labels       []string
	Coordinators []string // gRPC addresses
	Runner       cluster.StepRunner
	// HeartbeatInterval and TTL are used until the leader's Welcome gives
	// its own values.
	HeartbeatInterval time.Duration
	TTL               time.Duration
	Logger            *slog.Logger
	// Sees checks that this worker sees a build's files: it returns why
	// not, or "". The default reads the build's probe file under dir (or
	// checks that dir exists); tests replace it.
	Sees func(dir, probe string, content []byte) string
}

type key struct {
	build   string
	step    int32
	attempt uint32
}

func refKey(r *pb.StepRef) key { return key{r.GetBuild(), r.GetStep(), r.GetAttempt()} }

type task struct {
	ref     *pb.StepRef
	session uint64
	cancel  context.CancelCauseFunc
	fenced  bool // killed by self-fencing: report as fenced, not as a result
	dropped bool // killed because the session ended: report nothing

	// outMu orders this attempt's output messages (live pieces and resends
	// after a reconnect) and guards out and total.
	outMu sync.Mutex
	out   []byte // the first OutputKeep bytes, resent after a reconnect
	total uint64 // bytes written so far
}

// OutputKeep is how much of an attempt's output the worker keeps to resend
// after a reconnect (the coordinators keep at most this much by default).
const OutputKeep = 256 << 10

// done is a finished attempt whose result is not acknowledged yet.
type done struct {
	res *pb.Result
	out []byte
}

// link is the current stream's outbox. done closes when the stream can
// take no more (its sender stopped, or the session ended).
type link struct {
	out  chan *pb.WorkerMsg
	done chan struct{}
	once sync.Once
}

func (l *link) close() { l.once.Do(func() { close(l.done) }) }

// Agent is a running worker.
type Agent struct {
	slots chan struct{} // one token per step running now
	cfg   Config
	cl    *client.Client
	log   *slog.Logger

	mu           sync.Mutex
	session      uint64
	tasks        map[key]*task
	fenced       map[key]*pb.StepRef // self-fenced attempts not yet reported
	pending      map[key]*done       // finished, not acknowledged
	sentAt       map[key]time.Time   // when each pending result was last sent
	renewed      time.Time           // the lease runs until renewed + ttl
	ttl, hb      time.Duration
	hbSent       map[uint64]time.Time
	link         *link
	endLink      context.CancelFunc    // ends the current stream
	payloads     map[string]*buildInfo // the payloadCache latest builds
	payloadOrder []string
	runCtx       context.Context
}

// New returns an agent; Run starts it.
func New(cfg Config) (*Agent, error) {
	if cfg.Name == "" {
		cfg.Name, _ = os.Hostname()
	}
	if cfg.ID == "" {
		cfg.ID = cfg.Name
	}
	if cfg.Slots <= 0 || cfg.Runner == nil || len(cfg.Coordinators) == 0 {
		return nil, errors.New("worker: need slots > 0, a runner and coordinator addresses")
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 2 * time.Second
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Sees == nil {
		cfg.Sees = CheckProbe
	}
	return &Agent{
		cfg: cfg, cl: client.New(cfg.Coordinators), log: cfg.Logger.With("worker", cfg.ID),
		tasks: map[key]*task{}, fenced: map[key]*pb.StepRef{}, pending: map[key]*done{}, sentAt: map[key]time.Time{},
		ttl: cfg.TTL, hb: cfg.HeartbeatInterval, hbSent: map[uint64]time.Time{}, payloads: map[string]*buildInfo{},
		slots: make(chan struct{}, cfg.Slots),
	}, nil
}

// Run keeps a session with the leader and runs steps until ctx ends; then
// it kills its running steps and returns.
func (a *Agent) Run(ctx context.Context) error {
	a.mu.Lock()
	a.runCtx = ctx
	a.mu.Unlock()
	defer a.cl.Close()
	go a.fenceLoop(ctx)
	for ctx.Err() == nil {
		err := a.cl.Call(ctx, a.runSession)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("session", "err", err)
			sleep(ctx, time.Second)
		}
	}
	a.mu.Lock()
	for _, t := range a.tasks {
		t.dropped = true
		t.cancel(errors.New("worker stopping"))
	}
	a.mu.Unlock()
	return nil
}

// Drain asks the leader to give this worker nothing new, then waits until
// every running step has finished and its result is acknowledged.
func (a *Agent) Drain(ctx context.Context) error {
	if err := a.cl.Drain(ctx, a.cfg.ID, 0); err != nil {
		return fmt.Errorf("drain %s: %w", a.cfg.ID, err)
	}
	for {
		a.mu.Lock()
		busy := len(a.tasks) + len(a.pending)
		a.mu.Unlock()
		if busy == 0 {
			return nil
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// Running is the number of steps running now.
func (a *Agent) Running() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.tasks)
}

// hello describes this worker's session and inventory.
func (a *Agent) hello() *pb.Hello {
	a.mu.Lock()
	defer a.mu.Unlock()
	h := &pb.Hello{WorkerId: a.cfg.ID, Name: a.cfg.Name, Slots: int32(a.cfg.Slots), Labels: a.cfg.Labels, Session: a.session}
	for k, t := range a.tasks {
		if t.fenced {
			a.fenced[k] = t.ref
		} else if !t.dropped {
			h.Running = append(h.Running, t.ref)
		}
	}
	for _, r := range a.fenced {
		h.Fenced = append(h.Fenced, r)
	}
	for _, d := range a.pending {
		h.Pending = append(h.Pending, d.res)
	}
	return h
}

// runSession runs one stream to the coordinator at addr. It returns a
// retryable error when the stream ends, so client.Call reconnects
// (following the leader).
func (a *Agent) runSession(ctx context.Context, addr string, stub pb.CoordinatorClient) error {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// A coordinator whose host vanished does not refuse: setting up a
	// stream to it would wait for gRPC's connect timeout (20 s), longer
	// than a lease. Give it a few heartbeats, then try the next one.
	var setupExpired atomic.Bool
	setup := time.AfterFunc(3*a.hb, func() { setupExpired.Store(true); cancel() })
	defer setup.Stop()
	noAnswer := func(err error) error {
		if setupExpired.Load() {
			return status.Error(codes.Unavailable, "no answer from coordinator "+addr)
		}
		return err
	}
	stream, err := stub.WorkerSession(sctx)
	if err != nil {
		return noAnswer(err)
	}
	h := a.hello()
	helloAt := time.Now()
	if err := stream.Send(&pb.WorkerMsg{Msg: &pb.WorkerMsg_Hello{Hello: h}}); err != nil {
		if _, rerr := stream.Recv(); rerr != nil {
			return rerr // the server's status (a redirect, say) rather than io.EOF
		}
		return err
	}
	first, err := stream.Recv()
	if err != nil {
		return noAnswer(err)
	}
	setup.Stop()
	if first.GetSessionExpired() != nil {
		a.expire("session expired")
		return status.Error(codes.Unavailable, "session expired; registering again")
	}
	w := first.GetWelcome()
	if w == nil {
		return status.Error(codes.Unavailable, "no welcome")
	}
	l := &link{out: make(chan *pb.WorkerMsg, 8192), done: make(chan struct{})}
	defer l.close()
	a.mu.Lock()
	if a.session != w.Session {
		a.log.Info("new session", "session", w.Session, "coordinator", addr)
	}
	a.session, a.renewed, a.link, a.endLink = w.Session, helloAt, l, cancel
	a.ttl, a.hb = a.cfg.TTL, a.cfg.HeartbeatInterval
	if w.TtlMs > 0 && w.HeartbeatIntervalMs > 0 {
		a.ttl, a.hb = time.Duration(w.TtlMs)*time.Millisecond, time.Duration(w.HeartbeatIntervalMs)*time.Millisecond
	}
	a.hbSent = map[uint64]time.Time{}
	for _, r := range h.Fenced {
		delete(a.fenced, refKey(r))
	}
	for _, r := range h.Pending {
		a.sentAt[refKey(r.Ref)] = helloAt
	}
	hb := a.hb
	var running []*task
	for _, t := range a.tasks {
		if !t.fenced && !t.dropped {
			running = append(running, t)
		}
	}
	var finished []*done
	for _, d := range a.pending {
		finished = append(finished, d)
	}
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		if a.link == l {
			a.link = nil
		}
		a.mu.Unlock()
	}()
	errc := make(chan error, 2)
	go func() { errc <- pump(stream, l, sctx); l.close() }()
	// Resend what the previous leader may not have committed: the output
	// of running attempts, and finished attempts' output and results. The
	// FSM keeps each output byte and each result once.
	for _, t := range running {
		t.outMu.Lock()
		if len(t.out) > 0 {
			a.emit(outputMsg(t.ref, t.session, 0, t.out))
		}
		t.outMu.Unlock()
	}
	for _, d := range finished {
		if len(d.out) > 0 {
			a.emit(outputMsg(d.res.Ref, d.res.Session, 0, d.out))
		}
		a.emit(&pb.WorkerMsg{Msg: &pb.WorkerMsg_Result{Result: d.res}})
	}
	// The receiver must have stopped before this returns: an Assign it
	// took from the old stream after the next Hello was written would run
	// a step the leader has already requeued as undelivered.
	recvDone := make(chan struct{})
	go func() { errc <- a.receive(stream); close(recvDone) }()
	defer func() { cancel(); <-recvDone }()
	tick := time.NewTicker(hb)
	defer tick.Stop()
	var seq uint64
	for {
		select {
		case err := <-errc:
			if err == nil {
				err = status.Error(codes.Unavailable, "stream closed")
			}
			return err
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			seq++
			a.mu.Lock()
			a.hbSent[seq] = now
			// Two heartbeats unanswered: the leader is gone, stopped, or cut
			// off without the connection breaking (a host that vanished
			// sends no reset). Look for the current leader now, well before
			// the lease lapses and this worker must kill its steps, so a
			// leader change costs no running step.
			stale := now.Sub(a.renewed) > min(a.ttl, 2*hb+hb/2)
			a.mu.Unlock()
			if stale {
				return status.Error(codes.Unavailable, "heartbeats unanswered: reconnecting")
			}
			a.emit(&pb.WorkerMsg{Msg: &pb.WorkerMsg_Heartbeat{Heartbeat: &pb.Heartbeat{Seq: seq}}})
			a.resendStale(now)
		}
	}
}

func pump(stream pb.Coordinator_WorkerSessionClient, l *link, ctx context.Context) error {
	for {
		select {
		case m := <-l.out:
			if err := stream.Send(m); err != nil {
				return err
			}
		case <-ctx.Done():
			return nil
		}
	}
}

// receive handles the leader's messages.
func (a *Agent) receive(stream pb.Coordinator_WorkerSessionClient) error {
	for {
		m, err := stream.Recv()
		if err != nil {
			return err
		}
		switch x := m.Msg.(type) {
		case *pb.CoordMsg_Assign:
			a.start(x.Assign)
		case *pb.CoordMsg_Cancel:
			a.cancelTask(refKey(x.Cancel.Ref), x.Cancel.Reason)
		case *pb.CoordMsg_Ack:
			a.mu.Lock()
			delete(a.pending, refKey(x.Ack.Ref))
			delete(a.sentAt, refKey(x.Ack.Ref))
			a.mu.Unlock()
			if !x.Ack.Accepted {
				a.log.Info("result rejected", "build", x.Ack.Ref.Build, "step", x.Ack.Ref.Step, "attempt", x.Ack.Ref.Attempt, "err", x.Ack.Error)
			}
		case *pb.CoordMsg_HeartbeatAck:
			a.mu.Lock()
			if at, ok := a.hbSent[x.HeartbeatAck.Seq]; ok {
				if at.After(a.renewed) {
					a.renewed = at
				}
				for s := range a.hbSent {
					if s <= x.HeartbeatAck.Seq {
						delete(a.hbSent, s)
					}
				}
			}
			a.mu.Unlock()
		case *pb.CoordMsg_SessionExpired:
			a.expire("session expired")
			return status.Error(codes.Unavailable, "session expired; registering again")
		}
	}
}

// emit sends a message on the current stream; without one it is dropped
// (results stay pending and go in the next Hello).
func (a *Agent) emit(m *pb.WorkerMsg) {
	a.mu.Lock()
	l := a.link
	a.mu.Unlock()
	if l == nil {
		return
	}
	select {
	case l.out <- m:
	case <-l.done:
	}
}

// resendStale resends results unacknowledged for 10 s on a live stream.
func (a *Agent) resendStale(now time.Time) {
	var again []*pb.Result
	a.mu.Lock()
	for k, d := range a.pending {
		if now.Sub(a.sentAt[k]) > 10*time.Second {
			a.sentAt[k] = now
			again = append(again, d.res)
		}
	}
	a.mu.Unlock()
	for _, r := range again {
		a.emit(&pb.WorkerMsg{Msg: &pb.WorkerMsg_Result{Result: r}})
	}
}

// expire forgets an ended session: every step is killed and nothing of it
// is reported.
func (a *Agent) expire(why string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.log.Warn("session ended: killing all steps", "session", a.session, "steps", len(a.tasks), "why", why)
	for _, t := range a.tasks {
		t.dropped = true
		t.cancel(errors.New(why))
	}
	a.session = 0
	a.pending, a.sentAt, a.fenced = map[key]*done{}, map[key]time.Time{}, map[key]*pb.StepRef{}
}

// fenceLoop kills the running steps when the lease has not been renewed
// for a TTL: by then the leader may be about to run them elsewhere.
func (a *Agent) fenceLoop(ctx context.Context) {
	for sleep(ctx, 100*time.Millisecond) {
		a.mu.Lock()
		if len(a.tasks) > 0 && time.Since(a.renewed) > a.ttl {
			n := 0
			for _, t := range a.tasks {
				if !t.fenced && !t.dropped {
					t.fenced = true
					t.cancel(errors.New("lease lost: worker fenced itself"))
					n++
				}
			}
			if n > 0 {
				a.log.Warn("lease not renewed: killed running steps", "steps", n, "since", time.Since(a.renewed))
				// Reconnect, so the leader hears of the killed steps in a
				// Hello even if this stream still carries our messages
				// (acks lost one way only).
				if a.link != nil && a.endLink != nil {
					a.endLink()
				}
			}
		}
		a.mu.Unlock()
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

var timeNow = time.Now

// payloadCache is how many builds' payloads a worker keeps.
const payloadCache = 8
