package coord

import (
	"context"
	"sync"
	"time"

	"github.com/dmake/dmake/pkg/cluster/fsm"
)

// monitorLeadership runs for the node's life. It turns Raft's leadership
// notifications into at most one running leader at a time: the previous
// leader's goroutines have stopped before a new set starts, and a "true"
// while already leading (a lost-and-regained flap that Raft collapsed) is
// handled as a step-down followed by a step-up.
func (c *Coordinator) monitorLeadership() {
	var cur *leader
	stop := func() {
		if cur != nil {
			c.mu.Lock()
			c.ld = nil
			c.mu.Unlock()
			cur.stop()
			cur = nil
			c.log.Info("leadership lost")
		}
	}
	defer stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case isLeader := <-c.raft.LeaderCh():
			stop()
			if isLeader {
				cur = c.establish()
			}
		}
	}
}

// establish makes this node act as leader: it waits for a Barrier (so the FSM
// holds every committed entry), records its RPC address, and starts the
// leader's loops. It returns nil if leadership was lost meanwhile.
func (c *Coordinator) establish() *leader {
	if err := c.raft.Barrier(time.Minute).Error(); err != nil {
		c.log.Warn("barrier after election failed", "err", err)
		return nil
	}
	if _, err := c.apply(fsm.ServerAddrType, &fsm.ServerAddr{ID: c.cfg.NodeID, RPCAddr: c.cfg.RPCAdvertise}); err != nil {
		c.log.Warn("record own address", "err", err)
		return nil
	}
	c.mu.Lock()
	peers := make(map[string]peerRPC, len(c.peers))
	for id, p := range c.peers {
		peers[id] = p
	}
	c.mu.Unlock()
	for id, p := range peers {
		var have string
		c.fsm.Read(func(st *fsm.State) { have = st.Servers[id] })
		if have == "" {
			_, _ = c.apply(fsm.ServerAddrType, &fsm.ServerAddr{ID: id, RPCAddr: p.rpcAddr})
		}
	}
	ld := newLeader(c)
	ld.start()
	c.mu.Lock()
	c.ld = ld
	c.mu.Unlock()
	c.log.Info("leading")
	return ld
}

// leader is the state a coordinator keeps only while it leads. It is thrown
// away on losing leadership and rebuilt from the FSM by the next leader.
type leader struct {
	c      *Coordinator
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu guards conns and cancelled. The scheduler holds it for a whole
	// round (choose, commit, send), so a worker's new stream is never
	// registered while an Assign for that worker is between commit and send.
	mu        sync.Mutex
	conns     map[string]*workerConn       // by worker ID: live, reconciled streams
	cancelled map[stepKey]bool             // attempts we already told to stop
	refused   map[string]map[string]string // build → worker → why it cannot run the build

	// dlMu guards deadlines, which every worker message renews; it is not
	// mu, so renewals do not wait for a scheduler round's commit.
	dlMu      sync.Mutex
	deadlines map[string]time.Time // by worker ID: when its lease ends

	wake    chan struct{}
	results chan report

	qmu         sync.Mutex
	lossHistory map[string][]time.Time // by worker: when its sessions ended with losses
	quarantined time.Time              // the last quarantine
}

type stepKey struct {
	build   string
	step    int32
	attempt uint32
}

func newLeader(c *Coordinator) *leader {
	ctx, cancel := context.WithCancel(c.ctx)
	ld := &leader{
		c: c, ctx: ctx, cancel: cancel,
		conns: map[string]*workerConn{}, deadlines: map[string]time.Time{}, cancelled: map[stepKey]bool{}, refused: map[string]map[string]string{},
		wake: make(chan struct{}, 1), results: make(chan report, 4096),
	}
	// Every known worker gets a fresh lease: the failover grace.
	until := time.Now().Add(max(c.cfg.FailoverGrace, c.cfg.WorkerTTL+c.cfg.WorkerGrace))
	c.fsm.Read(func(st *fsm.State) {
		for _, w := range st.SortedWorkers() {
			if w.Status != fsm.StatusDown {
				ld.deadlines[w.ID] = until
			}
		}
	})
	return ld
}

func (ld *leader) start() {
	ld.wg.Add(3)
	go func() { defer ld.wg.Done(); ld.scheduleLoop() }()
	go func() { defer ld.wg.Done(); ld.coalesceLoop() }()
	go func() { defer ld.wg.Done(); ld.leaseLoop() }()
}

func (ld *leader) stop() {
	ld.cancel()
	ld.mu.Lock()
	for _, wc := range ld.conns {
		wc.close()
	}
	ld.mu.Unlock()
	ld.wg.Wait()
}

func (ld *leader) poke() {
	select {
	case ld.wake <- struct{}{}:
	default:
	}
}

// stamp is the leader's clock for log entries, in Unix ms.
func stamp() int64 { return time.Now().UnixMilli() }

// noteLosses records that a worker's session ended with lost steps, and
// quarantines (drains) a worker that keeps losing them.
func (ld *leader) noteLosses(worker string, lost int32) {
	cfg := &ld.c.cfg
	if lost == 0 || cfg.QuarantineLosses < 0 {
		return
	}
	now := time.Now()
	ld.qmu.Lock()
	if ld.lossHistory == nil {
		ld.lossHistory = map[string][]time.Time{}
	}
	h := append(ld.lossHistory[worker], now)
	for len(h) > 0 && now.Sub(h[0]) > cfg.QuarantineWindow {
		h = h[1:]
	}
	ld.lossHistory[worker] = h
	due := len(h) >= cfg.QuarantineLosses && (ld.quarantined.IsZero() || now.Sub(ld.quarantined) >= cfg.QuarantineEvery)
	if due {
		ld.quarantined = now
		delete(ld.lossHistory, worker)
	}
	ld.qmu.Unlock()
	if !due {
		return
	}
	ld.c.log.Warn("quarantining worker: it keeps losing steps", "worker", worker, "losses", len(h), "window", cfg.QuarantineWindow)
	if _, err := ld.c.apply(fsm.WorkerDrainType, &fsm.WorkerDrain{ID: worker, Enable: true, Stamp: stamp()}); err != nil {
		ld.c.log.Warn("quarantine", "worker", worker, "err", err)
	}
}
