package coord

import (
	"log/slog"
	"time"
)

// Config configures a coordinator. Zero durations take the defaults below.
type Config struct {
	NodeID        string // permanent Raft server ID
	DataDir       string // raft log, stable store and snapshots live here
	RPCAddr       string // gRPC listen address (clients, workers, peers)
	RPCAdvertise  string // gRPC address given to others; default RPCAddr
	RaftAddr      string // Raft transport listen address
	RaftAdvertise string // Raft address given to peers; default RaftAddr

	// BootstrapExpect is how many coordinators start the cluster together
	// (1, 3 or 5). They find each other through Join. 0 means: join an
	// existing cluster through Join, or restart from DataDir.
	BootstrapExpect int
	Join            []string // gRPC addresses of other coordinators
	// Nonvoter joins as a non-voting member (it replicates the log and
	// serves reads, but does not vote or lead).
	Nonvoter bool

	// HeartbeatInterval is how often workers heartbeat on their stream.
	HeartbeatInterval time.Duration
	// WorkerTTL is a worker's lease: a worker that has not renewed it for
	// this long kills its own running steps.
	WorkerTTL time.Duration
	// WorkerGrace is added to WorkerTTL before the leader declares a silent
	// worker down and requeues its steps, so the worker has fenced itself
	// first.
	WorkerGrace time.Duration
	// FailoverGrace is the lease every worker gets from a new leader, so
	// that workers have time to reconnect before any is declared lost.
	FailoverGrace time.Duration
	// SchedInterval is how long the scheduler and the result coalescer
	// collect work before committing one batch.
	SchedInterval time.Duration
	// LossBackoff is how long a step waits after its n-th loss (index n-1;
	// the last value repeats) before it runs again.
	LossBackoff []time.Duration
	// QuarantineLosses is how many of a worker's sessions may end with
	// steps lost (it died, or restarted, while running them) within
	// QuarantineWindow before the leader drains it, at most one worker per
	// QuarantineEvery across the cluster (so a step that kills every worker
	// cannot bench the fleet). Negative disables quarantine.
	QuarantineLosses int
	QuarantineWindow time.Duration
	QuarantineEvery  time.Duration
	// BuildRetention is how long a finished build is kept before the leader
	// forgets it.
	BuildRetention time.Duration
	// RaftHeartbeat sets Raft's heartbeat and election timeouts (the
	// leader lease is half of it). Shorter values fail over faster.
	RaftHeartbeat time.Duration
	// OutputLimit is the output kept per step attempt, in bytes.
	OutputLimit int
	// SnapshotThreshold is how many log entries since the last snapshot
	// make Raft take one; TrailingLogs is how many entries a snapshot
	// leaves in the log, so a follower that is behind by less catches up
	// from the log rather than from a snapshot.
	SnapshotThreshold uint64
	TrailingLogs      uint64
	// SnapshotInterval is how often Raft checks SnapshotThreshold.
	SnapshotInterval time.Duration

	Logger *slog.Logger
}

// Defaults.
const (
	DefaultHeartbeatInterval = 2 * time.Second
	DefaultWorkerTTL         = 7 * time.Second
	DefaultWorkerGrace       = 3 * time.Second
	DefaultFailoverGrace     = 30 * time.Second
	DefaultSchedInterval     = 5 * time.Millisecond
	DefaultBuildRetention    = time.Hour
	DefaultRaftHeartbeat     = time.Second
)

// DefaultLossBackoff is the wait before a step's first, second and later
// reruns after losses.
var DefaultLossBackoff = []time.Duration{0, 5 * time.Second, 20 * time.Second}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	def(&c.WorkerTTL, DefaultWorkerTTL)
	def(&c.WorkerGrace, DefaultWorkerGrace)
	def(&c.FailoverGrace, DefaultFailoverGrace)
	def(&c.SchedInterval, DefaultSchedInterval)
	def(&c.BuildRetention, DefaultBuildRetention)
	def(&c.RaftHeartbeat, DefaultRaftHeartbeat)
	def(&c.SnapshotInterval, 2*time.Minute)
	def(&c.QuarantineWindow, 10*time.Minute)
	def(&c.QuarantineEvery, 5*time.Minute)
	if c.QuarantineLosses == 0 {
		c.QuarantineLosses = 3
	}
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = 16384
	}
	if c.TrailingLogs == 0 {
		c.TrailingLogs = 65536
	}
	if c.LossBackoff == nil {
		c.LossBackoff = DefaultLossBackoff
	}
	if c.RPCAdvertise == "" {
		c.RPCAdvertise = c.RPCAddr
	}
	if c.RaftAdvertise == "" {
		c.RaftAdvertise = c.RaftAddr
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// backoff returns the wait after a step's losses-th loss.
func (c *Config) backoff(losses uint32) time.Duration {
	if losses == 0 || len(c.LossBackoff) == 0 {
		return 0
	}
	i := int(losses) - 1
	if i >= len(c.LossBackoff) {
		i = len(c.LossBackoff) - 1
	}
	return c.LossBackoff[i]
}
