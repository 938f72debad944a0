package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dmake/dmake/cmd/dmake/internal/cli"
	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/client"
	"github.com/dmake/dmake/pkg/cluster/makestep"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"github.com/dmake/dmake/pkg/exec/builder"
	"github.com/dmake/dmake/pkg/graph/plan"
)

// buildOnCluster runs a planned build's recipes on the cluster named by
// --cluster or DMAKE_CLUSTER, printing their output as it comes. -n, -q
// and -t run no recipes, so they stay on this machine.
func (m *maker) buildOnCluster(g *plan.Graph) int {
	o := m.opts
	if o.DryRun || o.Question || o.Touch {
		return m.build(g, false)
	}
	id := newBuildID()
	bo := builder.Options{Dir: m.dir, Program: m.prog, Env: m.clusterEnv(), Silent: o.Silent, IgnoreErrors: o.IgnoreErrors, AlwaysMake: o.AlwaysMake}
	if g.NotParallel {
		o.Jobs = 1
	}
	enc, err := makestep.Encode(id, g, m.ev, bo, cluster.Options{Jobs: o.Jobs, KeepGoing: o.KeepGoing})
	if err != nil {
		return m.fatal(err)
	}
	probe, err := writeProbe(m.dir, id)
	if err != nil {
		return m.fatal(err)
	}
	enc.Spec.Probe = probe
	if !o.Cluster.Detach {
		defer os.Remove(filepath.Join(m.dir, probe.Path))
	}
	c := client.New(o.Cluster.Addrs)
	defer c.Close()
	ctx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	err = c.Submit(ctx, enc.Spec)
	stop()
	if err != nil {
		fmt.Fprintf(m.stderr, "%s: *** cluster %s: %v.  Stop.\n", m.prog, strings.Join(o.Cluster.Addrs, ","), err)
		return 2
	}
	if o.Cluster.Detach {
		fmt.Fprintf(m.stdout, "%s: build %s submitted to the cluster; follow it with: dmake cluster attach %s\n", m.prog, id, id)
		return 0
	}
	ran := make([]bool, len(g.Steps))
	finished := make([]bool, len(g.Steps))
	running := map[int32]bool{}
	code := follow(c, id, 0, m.prog, m.stdout, m.stderr, true, true, func(e *client.Event) {
		switch e.Kind {
		case pb.Event_STEP_STARTED:
			running[e.Step] = true
		case pb.Event_STEP_LOST:
			delete(running, e.Step)
		}
		if e.Kind != pb.Event_STEP_FINISHED || e.Step < 0 || int(e.Step) >= len(enc.Step) {
			return
		}
		delete(running, e.Step)
		if e.Status == "failed" && !o.KeepGoing && len(running) > 0 {
			// As make does when a recipe fails while others still run.
			fmt.Fprintf(m.stderr, "%s: *** Waiting for unfinished jobs....\n", m.prog)
		}
		sid := enc.Step[e.Step]
		finished[sid] = e.Status == "succeeded"
		ran[sid] = finished[sid] && e.Message != makestep.UpToDate
		if ran[sid] {
			m.dirs.enter() // a command ran, so make would have said where
		}
	})
	m.goalNotes(g, ran, finished, code)
	return code
}

// goalNotes prints make's notes for goals where nothing was done, or that
// were not remade because of errors under -k, as the local builder does.
func (m *maker) goalNotes(g *plan.Graph, ran, finished []bool, code int) {
	var lo int64
	for _, gid := range g.Goals {
		s := g.Steps[gid]
		hi := s.Priority
		switch {
		case finished[gid]:
			any := false
			for i, st := range g.Steps {
				if ran[i] && st.Priority > lo && st.Priority <= hi {
					any = true
				}
			}
			if !any && !m.opts.Silent {
				if s.Phony || s.Recipe == nil {
					fmt.Fprintf(m.stdout, "%s: Nothing to be done for '%s'.\n", m.prog, s.Name)
				} else {
					fmt.Fprintf(m.stdout, "%s: '%s' is up to date.\n", m.prog, s.Name)
				}
			}
		case code != 0 && m.opts.KeepGoing:
			fmt.Fprintf(m.stderr, "%s: Target '%s' not remade because of errors.\n", m.prog, s.Name)
		}
		lo = hi
	}
}

// clusterEnv is the base environment of recipes run on workers. A local
// jobserver means nothing there, so MAKEFLAGS does not name one; and
// DMAKE_CLUSTER names this cluster, so a $(MAKE) in a recipe runs its own
// steps on the cluster too instead of on the worker alone.
func (m *maker) clusterEnv() []string {
	saved := m.opts.JobserverAuth
	m.opts.JobserverAuth = ""
	env := m.childEnv(cli.PhaseRun)
	m.opts.JobserverAuth = saved
	return append(env, "DMAKE_CLUSTER="+strings.Join(m.opts.Cluster.Addrs, ","))
}

// writeProbe writes a file with fresh content in the build's directory: a
// worker runs the build's steps only if it reads the same content at the
// same path, which proves it sees this tree on the shared filesystem. The
// name starts with a dot, so wildcards like * in the makefile do not see it.
func writeProbe(dir, id string) (cluster.Probe, error) {
	var b [16]byte
	rand.Read(b[:])
	p := cluster.Probe{Path: ".dmake-probe-" + id, Content: []byte(hex.EncodeToString(b[:]))}
	if err := os.WriteFile(filepath.Join(dir, p.Path), p.Content, 0o644); err != nil {
		return p, fmt.Errorf("write the shared-filesystem probe: %w", err)
	}
	return p, nil
}

// newBuildID returns a fresh build ID. The client chooses it, which makes
// submission idempotent.
func newBuildID() string {
	var b [8]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102-150405-") + hex.EncodeToString(b[:])
}

// follow prints a build's output from event from on, until the build
// finishes, and returns make's exit status for it. With cancelOnInterrupt,
// Ctrl-C cancels the build on the cluster (recipes are killed there) and
// follow goes on until the cluster says it is finished.
func follow(c *client.Client, id string, from uint64, prog string, out, errw io.Writer, framed, cancelOnInterrupt bool, onEvent func(*client.Event)) int {
	demux := map[int32]*makestep.Demux{}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	interrupted := false
	go func() {
		for range sigs {
			if !cancelOnInterrupt || interrupted {
				cancel()
				return
			}
			interrupted = true
			cctx, done := context.WithTimeout(context.Background(), 15*time.Second)
			if err := c.Cancel(cctx, id); err != nil {
				fmt.Fprintf(errw, "%s: cancel %s: %v\n", prog, id, err)
			}
			done()
		}
	}()
	status := ""
	_, err := c.Events(ctx, id, from, func(e *client.Event) error {
		if onEvent != nil {
			onEvent(e)
		}
		switch e.Kind {
		case pb.Event_OUTPUT:
			if !framed {
				out.Write(e.Data)
				break
			}
			d := demux[e.Step]
			if d == nil {
				d = &makestep.Demux{Stdout: out, Stderr: errw}
				demux[e.Step] = d
			}
			d.Write(e.Data)
		case pb.Event_STEP_FINISHED:
			if e.Status == "poisoned" {
				fmt.Fprintf(errw, "%s: *** [%s] %s\n", prog, e.Target, e.Message)
			}
		case pb.Event_BUILD_FINISHED:
			status = e.Status
		}
		return nil
	})
	if err != nil && status == "" {
		if ctx.Err() != nil {
			fmt.Fprintf(errw, "%s: stopped following build %s; it goes on: dmake cluster attach %s\n", prog, id, id)
		} else {
			fmt.Fprintf(errw, "%s: *** cluster: %v.  Stop.\n", prog, err)
		}
		return 2
	}
	switch status {
	case "succeeded":
		return 0
	case "cancelled":
		if interrupted {
			fmt.Fprintf(errw, "%s: *** build %s cancelled\n", prog, id)
		}
		return 2
	default:
		return 2
	}
}

// clusterCommand runs "dmake cluster SUBCOMMAND ...": status, workers,
// builds, logs, attach, drain, undrain. It reports whether args were such a
// command (a makefile goal named "cluster" followed by anything else is
// still a goal).
func clusterCommand(args []string) (code int, ok bool) {
	if len(args) < 3 || args[1] != "cluster" {
		return 0, false
	}
	sub := args[2]
	switch sub {
	case "status", "workers", "builds", "logs", "attach", "drain", "undrain":
	default:
		return 0, false
	}
	rest := args[3:]
	addrs, rest := clusterAddrs(rest)
	if len(addrs) == 0 {
		fmt.Fprintln(os.Stderr, "dmake cluster: no cluster: give --cluster ADDR[,ADDR...] or set DMAKE_CLUSTER")
		return 2, true
	}
	c := client.New(addrs)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	switch sub {
	case "status":
		err = clusterStatus(ctx, c)
	case "workers":
		err = clusterWorkers(ctx, c)
	case "builds":
		err = clusterBuilds(ctx, c)
	case "logs", "attach":
		if len(rest) < 1 {
			fmt.Fprintf(os.Stderr, "usage: dmake cluster %s BUILD\n", sub)
			return 2, true
		}
		payload, err := c.BuildPayload(ctx, rest[0])
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "dmake cluster %s: %v\n", sub, err)
			return 1, true
		}
		return follow(c, rest[0], 0, "dmake", os.Stdout, os.Stderr, makestep.IsMakeBuild(payload), false, nil), true
	case "drain", "undrain":
		err = clusterDrain(ctx, c, sub, rest)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "dmake cluster %s: %v\n", sub, err)
		return 1, true
	}
	return 0, true
}

// clusterAddrs takes --cluster=ADDR or --cluster ADDR out of args, or
// reads DMAKE_CLUSTER.
func clusterAddrs(args []string) ([]string, []string) {
	var addrs, rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--cluster="):
			addrs = append(addrs, splitComma(a[len("--cluster="):])...)
		case a == "--cluster" && i+1 < len(args):
			addrs = append(addrs, splitComma(args[i+1])...)
			i++
		default:
			rest = append(rest, a)
		}
	}
	if len(addrs) == 0 {
		addrs = splitComma(os.Getenv("DMAKE_CLUSTER"))
	}
	return addrs, rest
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func clusterStatus(ctx context.Context, c *client.Client) error {
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("leader: %s (%s)\napplied index: %d\nworkers: %d\nbuilds running: %d\n", st.LeaderId, st.LeaderRpc, st.AppliedIndex, st.Workers, st.BuildsRunning)
	for _, s := range st.Servers {
		role := "voter"
		if !s.Voter {
			role = "nonvoter"
		}
		fmt.Printf("coordinator %s raft=%s rpc=%s %s\n", s.Id, s.RaftAddr, s.RpcAddr, role)
	}
	return nil
}

func clusterWorkers(ctx context.Context, c *client.Client) error {
	ws, err := c.Workers(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%-20s %-16s %-10s %5s %7s %s\n", "ID", "NAME", "STATUS", "SLOTS", "RUNNING", "LABELS")
	for _, w := range ws {
		fmt.Printf("%-20s %-16s %-10s %5d %7d %s\n", w.Id, w.Name, w.Status, w.Slots, w.Running, strings.Join(w.Labels, ","))
	}
	return nil
}

func clusterBuilds(ctx context.Context, c *client.Client) error {
	bs, err := c.Builds(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%-32s %-10s %6s %6s %7s %8s %s\n", "ID", "STATUS", "STEPS", "DONE", "RUNNING", "FAILURES", "DIR")
	for _, b := range bs {
		fmt.Printf("%-32s %-10s %6d %6d %7d %8d %s\n", b.Id, b.Status, b.Steps, b.Done, b.Running, b.Failures, b.Dir)
	}
	return nil
}

func clusterDrain(ctx context.Context, c *client.Client, sub string, args []string) error {
	if len(args) < 1 {
		return fmt.Errorf("usage: dmake cluster %s WORKER [--deadline DURATION]", sub)
	}
	if sub == "undrain" {
		return c.Undrain(ctx, args[0])
	}
	var deadline time.Duration
	for i := 1; i < len(args); i++ {
		v := ""
		switch {
		case strings.HasPrefix(args[i], "--deadline="):
			v = args[i][len("--deadline="):]
		case args[i] == "--deadline" && i+1 < len(args):
			v = args[i+1]
			i++
		default:
			return fmt.Errorf("unknown argument %q", args[i])
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("bad --deadline: %w", err)
		}
		deadline = d
	}
	return c.Drain(ctx, args[0], deadline)
}
