package main

import (
	"context"
	"fmt"
	xexec "github.com/dmake/dmake/pkg/exec"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/coord"
	"github.com/dmake/dmake/pkg/cluster/makestep"
	"github.com/dmake/dmake/pkg/cluster/worker"
	"github.com/urfave/cli/v2"
)

// stepRunner is what workers run steps with: make steps that dmake
// submitted go through makestep.Runner (the local builder's own step
// logic); plain shell steps (tests, benchmarks) through ShellRunner.
func stepRunner() cluster.StepRunner {
	r := &makestep.Runner{Fallback: cluster.ShellRunner{}}
	if self, err := os.Executable(); err == nil {
		reaper, err := xexec.StartReaper(self)
		if err != nil {
			fmt.Fprintf(os.Stderr, "dmaked: %v; recipes may outlive this worker if it dies\n", err)
		}
		r.Reaper = reaper
	}
	return r
}

func logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// timingFlags are the coordinator's named timeouts (see coord.Config).
func timingFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "heartbeat-interval", Value: coord.DefaultHeartbeatInterval, Usage: "how often workers heartbeat"},
		&cli.DurationFlag{Name: "worker-ttl", Value: coord.DefaultWorkerTTL, Usage: "worker lease; a worker that cannot renew it kills its steps"},
		&cli.DurationFlag{Name: "worker-grace", Value: coord.DefaultWorkerGrace, Usage: "added to the lease before a silent worker is declared lost"},
		&cli.DurationFlag{Name: "failover-grace", Value: coord.DefaultFailoverGrace, Usage: "lease every worker gets from a new leader"},
		&cli.DurationFlag{Name: "raft-heartbeat", Value: coord.DefaultRaftHeartbeat, Usage: "raft heartbeat and election timeout"},
		&cli.StringFlag{Name: "loss-backoff", Value: "0s,5s,20s", Usage: "wait before rerunning a step after its 1st, 2nd, ... loss"},
		&cli.DurationFlag{Name: "build-retention", Value: coord.DefaultBuildRetention, Usage: "how long finished builds are kept"},
		&cli.IntFlag{Name: "quarantine-losses", Value: 3, Usage: "drain a worker whose sessions end with lost steps this often in --quarantine-window (-1: never)"},
		&cli.DurationFlag{Name: "quarantine-window", Value: 10 * time.Minute, Usage: "see --quarantine-losses"},
		&cli.DurationFlag{Name: "quarantine-every", Value: 5 * time.Minute, Usage: "at most one quarantine per this interval, cluster-wide"},
	}
}

func timing(c *cli.Context, cfg *coord.Config) error {
	cfg.HeartbeatInterval = c.Duration("heartbeat-interval")
	cfg.WorkerTTL = c.Duration("worker-ttl")
	cfg.WorkerGrace = c.Duration("worker-grace")
	cfg.FailoverGrace = c.Duration("failover-grace")
	cfg.RaftHeartbeat = c.Duration("raft-heartbeat")
	cfg.BuildRetention = c.Duration("build-retention")
	cfg.QuarantineLosses = c.Int("quarantine-losses")
	cfg.QuarantineWindow = c.Duration("quarantine-window")
	cfg.QuarantineEvery = c.Duration("quarantine-every")
	cfg.LossBackoff = []time.Duration{}
	for _, s := range strings.Split(c.String("loss-backoff"), ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("--loss-backoff: %w", err)
		}
		cfg.LossBackoff = append(cfg.LossBackoff, d)
	}
	return nil
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
}

func coordinatorCommand() *cli.Command {
	return &cli.Command{
		Name:  "coordinator",
		Usage: "run a coordinator (a Raft server holding the cluster's state)",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "node-id", Required: true, Usage: "permanent server ID"},
			&cli.StringFlag{Name: "data-dir", Required: true, Usage: "raft log, stable store and snapshots"},
			&cli.StringFlag{Name: "bind", Value: "127.0.0.1:7400", Usage: "gRPC address (clients, workers, peers)"},
			&cli.StringFlag{Name: "advertise", Usage: "gRPC address others use (default --bind)"},
			&cli.StringFlag{Name: "raft-bind", Value: "127.0.0.1:7401", Usage: "raft transport address"},
			&cli.StringFlag{Name: "raft-advertise", Usage: "raft address peers use (default --raft-bind)"},
			&cli.IntFlag{Name: "bootstrap-expect", Usage: "start a new cluster of this many coordinators (1, 3 or 5)"},
			&cli.StringSliceFlag{Name: "join", Usage: "gRPC addresses of other coordinators"},
			&cli.BoolFlag{Name: "nonvoter", Usage: "join as a non-voting member (replicates, serves reads, never leads)"},
		}, timingFlags()...),
		Action: func(c *cli.Context) error {
			cfg := coord.Config{
				NodeID: c.String("node-id"), DataDir: c.String("data-dir"),
				RPCAddr: c.String("bind"), RPCAdvertise: c.String("advertise"),
				RaftAddr: c.String("raft-bind"), RaftAdvertise: c.String("raft-advertise"),
				BootstrapExpect: c.Int("bootstrap-expect"), Join: splitList(c.StringSlice("join")), Nonvoter: c.Bool("nonvoter"),
				Logger: logger(),
			}
			if err := timing(c, &cfg); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			co, err := coord.Start(cfg)
			if err != nil {
				return err
			}
			<-ctx.Done()
			return co.Shutdown()
		},
	}
}

func workerFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "name", Usage: "worker name (default: host name)"},
		&cli.StringFlag{Name: "id", Usage: "stable worker ID (default: the name)"},
		&cli.IntFlag{Name: "slots", Value: runtime.NumCPU(), Usage: "steps run at once"},
		&cli.StringSliceFlag{Name: "labels", Usage: "labels for placement"},
	}
}

func workerCommand() *cli.Command {
	return &cli.Command{
		Name:  "worker",
		Usage: "run a worker; SIGTERM drains it (running steps finish) and exits",
		Flags: append(workerFlags(),
			&cli.StringSliceFlag{Name: "coordinators", Required: true, Usage: "gRPC addresses of the coordinators"},
		),
		Action: func(c *cli.Context) error {
			a, err := worker.New(worker.Config{
				ID: c.String("id"), Name: c.String("name"), Slots: c.Int("slots"), Labels: splitList(c.StringSlice("labels")),
				Coordinators: splitList(c.StringSlice("coordinators")), Runner: stepRunner(), Logger: logger(),
			})
			if err != nil {
				return err
			}
			runCtx, stopRun := context.WithCancel(context.Background())
			defer stopRun()
			done := make(chan error, 1)
			go func() { done <- a.Run(runCtx) }()
			sig := make(chan os.Signal, 2)
			signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
			select {
			case err := <-done:
				return err
			case <-sig:
			}
			// Self-drain; a second signal stops at once.
			drainCtx, stopDrain := context.WithCancel(context.Background())
			go func() { <-sig; stopDrain() }()
			if err := a.Drain(drainCtx); err != nil {
				fmt.Fprintln(os.Stderr, "dmaked: drain:", err)
			}
			stopRun()
			return <-done
		},
	}
}

func devCommand() *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "run a one-node coordinator and N local workers in one process",
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "workers", Value: 2, Usage: "local workers"},
			&cli.IntFlag{Name: "slots", Value: runtime.NumCPU(), Usage: "slots per worker"},
			&cli.StringFlag{Name: "bind", Value: "127.0.0.1:7400", Usage: "gRPC address"},
			&cli.StringFlag{Name: "raft-bind", Value: "127.0.0.1:7401", Usage: "raft address"},
			&cli.StringFlag{Name: "data-dir", Usage: "data directory (default: a new temporary one)"},
		}, timingFlags()...),
		Action: func(c *cli.Context) error {
			dir := c.String("data-dir")
			if dir == "" {
				d, err := os.MkdirTemp("", "dmaked-dev-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(d)
				dir = d
			}
			cfg := coord.Config{NodeID: "dev", DataDir: filepath.Join(dir, "coordinator"), RPCAddr: c.String("bind"),
				RaftAddr: c.String("raft-bind"), BootstrapExpect: 1, Logger: logger()}
			if err := timing(c, &cfg); err != nil {
				return err
			}
			co, err := coord.Start(cfg)
			if err != nil {
				return err
			}
			defer co.Shutdown()
			ctx, stop := signalContext()
			defer stop()
			done := make(chan struct{}, c.Int("workers"))
			for i := range c.Int("workers") {
				a, err := worker.New(worker.Config{Name: fmt.Sprintf("dev-%d", i+1), Slots: c.Int("slots"),
					Coordinators: []string{co.Addr()}, Runner: stepRunner(), Logger: logger()})
				if err != nil {
					return err
				}
				go func() { _ = a.Run(ctx); done <- struct{}{} }()
			}
			fmt.Fprintf(os.Stderr, "dmaked dev: coordinator at %s with %d workers\n", co.Addr(), c.Int("workers"))
			<-ctx.Done()
			for range c.Int("workers") {
				<-done
			}
			return nil
		},
	}
}

// splitList flattens "a,b" "c" into [a b c].
func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}
