package coord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/dmake/dmake/pkg/cluster/fsm"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
	"google.golang.org/grpc"
)

// maxEntry is the largest log entry the coordinator writes.
const maxEntry = 1 << 20

// applyTimeout bounds how long a command waits to be enqueued by Raft.
const applyTimeout = 30 * time.Second

// Coordinator is one coordinator process's node.
type Coordinator struct {
	pb.UnimplementedCoordinatorServer

	cfg   Config
	log   *slog.Logger
	fsm   *fsm.FSM
	raft  *raft.Raft
	trans *raft.NetworkTransport
	store *raftboltdb.BoltStore
	srv   *grpc.Server
	lis   net.Listener

	mu      sync.Mutex
	ld      *leader            // non-nil while this node leads and has passed its Barrier
	peers   map[string]peerRPC // what bootstrap learnt about other coordinators
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stopped bool
}

type peerRPC struct{ raftAddr, rpcAddr string }

// Start opens the data directory, starts Raft and the gRPC server, and
// bootstraps or joins as configured. It returns once the node is serving;
// the cluster may still be electing a leader.
func Start(cfg Config) (*Coordinator, error) {
	cfg.setDefaults()
	c := &Coordinator{cfg: cfg, fsm: fsm.New(fsm.Config{OutputLimit: cfg.OutputLimit}), peers: map[string]peerRPC{}}
	c.log = cfg.Logger.With("node", cfg.NodeID)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	lis, err := net.Listen("tcp", cfg.RPCAddr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.RPCAddr, err)
	}
	c.lis = lis
	if strings.HasSuffix(c.cfg.RPCAdvertise, ":0") {
		c.cfg.RPCAdvertise = lis.Addr().String()
	}
	if err := c.startRaft(); err != nil {
		lis.Close()
		return nil, err
	}
	c.srv = grpc.NewServer(grpcServerOptions()...)
	pb.RegisterCoordinatorServer(c.srv, c)
	c.wg.Add(3)
	go func() { defer c.wg.Done(); _ = c.srv.Serve(lis) }()
	go func() { defer c.wg.Done(); c.monitorLeadership() }()
	go func() { defer c.wg.Done(); c.bootstrapOrJoin() }()
	return c, nil
}

func (c *Coordinator) startRaft() error {
	dir := filepath.Join(c.cfg.DataDir, "raft")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, "raft.db")})
	if err != nil {
		return fmt.Errorf("open raft log %s: %w", dir, err)
	}
	c.store = store
	cache, err := raft.NewLogCache(512, store)
	if err != nil {
		return err
	}
	hl := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Warn, Output: os.Stderr})
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hl)
	if err != nil {
		return fmt.Errorf("open snapshot store: %w", err)
	}
	adv, err := net.ResolveTCPAddr("tcp", c.cfg.RaftAdvertise)
	if err != nil {
		return fmt.Errorf("raft advertise address: %w", err)
	}
	trans, err := raft.NewTCPTransportWithLogger(c.cfg.RaftAddr, adv, 3, 10*time.Second, hl)
	if err != nil {
		return fmt.Errorf("raft transport on %s: %w", c.cfg.RaftAddr, err)
	}
	c.trans = trans
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(c.cfg.NodeID)
	rc.Logger = hl
	rc.HeartbeatTimeout = c.cfg.RaftHeartbeat
	rc.ElectionTimeout = c.cfg.RaftHeartbeat
	rc.LeaderLeaseTimeout = c.cfg.RaftHeartbeat / 2
	rc.SnapshotThreshold = c.cfg.SnapshotThreshold
	rc.TrailingLogs = c.cfg.TrailingLogs
	rc.SnapshotInterval = c.cfg.SnapshotInterval
	if err := c.recoverFromPeersJSON(rc, dir, cache, snaps); err != nil {
		trans.Close()
		return err
	}
	r, err := raft.NewRaft(rc, c.fsm, cache, store, snaps, trans)
	if err != nil {
		trans.Close()
		return fmt.Errorf("start raft: %w", err)
	}
	c.raft = r
	return nil
}

// recoverFromPeersJSON is disaster recovery: if DATA-DIR/raft/peers.json
// exists (raft's JSON format: [{"id": ..., "address": ..., "non_voter":
// false}]), the node's Raft configuration is forced to it, keeping the log
// and snapshots, and the file is renamed peers.json.recovered so this
// happens once. Use it when a quorum is lost for good: stop the survivors,
// write the same peers.json on each, start them.
func (c *Coordinator) recoverFromPeersJSON(rc *raft.Config, dir string, logs raft.LogStore, snaps raft.SnapshotStore) error {
	path := filepath.Join(dir, "peers.json")
	if _, err := os.Stat(path); err != nil {
		return nil
	}
	conf, err := raft.ReadConfigJSON(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	scratch := fsm.New(fsm.Config{OutputLimit: c.cfg.OutputLimit})
	if err := raft.RecoverCluster(rc, scratch, logs, c.store, snaps, c.trans, conf); err != nil {
		return fmt.Errorf("recover from %s: %w", path, err)
	}
	if err := os.Rename(path, path+".recovered"); err != nil {
		return fmt.Errorf("recovered, but cannot rename %s: %w", path, err)
	}
	c.log.Warn("raft configuration recovered from peers.json", "servers", len(conf.Servers))
	return nil
}

// hasState reports whether this node has a Raft configuration already.
func (c *Coordinator) hasState() bool {
	f := c.raft.GetConfiguration()
	return f.Error() == nil && len(f.Configuration().Servers) > 0
}

// Addr is the gRPC address the coordinator serves on.
func (c *Coordinator) Addr() string { return c.lis.Addr().String() }

// IsLeader reports whether this node leads and serves leader RPCs.
func (c *Coordinator) IsLeader() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ld != nil
}

// Raft exposes the Raft node, for tests and operator commands.
func (c *Coordinator) Raft() *raft.Raft { return c.raft }

// FSM exposes the replicated state, read-only.
func (c *Coordinator) FSM() *fsm.FSM { return c.fsm }

// Shutdown stops serving and closes Raft and its stores.
func (c *Coordinator) Shutdown() error {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return nil
	}
	c.stopped = true
	c.mu.Unlock()
	c.cancel()
	c.srv.Stop()
	err := c.raft.Shutdown().Error()
	c.wg.Wait()
	c.trans.Close()
	if cerr := c.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// errNotLeader is returned by apply when this node cannot commit.
var errNotLeader = errors.New("not the leader")

// apply commits one command and returns the FSM's answer.
func (c *Coordinator) apply(t fsm.MsgType, body any) (*fsm.Result, error) {
	buf, err := fsm.Encode(t, body)
	if err != nil {
		return nil, err
	}
	if len(buf) > maxEntry {
		return nil, fmt.Errorf("command %d is %d bytes, over the %d limit", t, len(buf), maxEntry)
	}
	f := c.raft.Apply(buf, applyTimeout)
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) ||
			errors.Is(err, raft.ErrLeadershipTransferInProgress) || errors.Is(err, raft.ErrRaftShutdown) {
			return nil, fmt.Errorf("%w: %v", errNotLeader, err)
		}
		return nil, err
	}
	res, _ := f.Response().(*fsm.Result)
	if res == nil {
		res = &fsm.Result{}
	}
	return res, nil
}
