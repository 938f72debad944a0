package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dmake/dmake/cmd/dmake/internal/cli"
	"github.com/dmake/dmake/pkg/cluster"
	"github.com/dmake/dmake/pkg/cluster/bridge"
	"github.com/dmake/dmake/pkg/cluster/makestep"
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
	probe, written, err := m.probe(id)
	if err != nil {
		return m.fatal(err)
	}
	enc.Spec.Probe = probe
	if written && !o.Cluster.Detach {
		defer os.Remove(filepath.Join(m.dir, probe.Path))
	}
	req := &bridge.Request{Addrs: o.Cluster.Addrs, Op: bridge.OpBuild, Spec: enc.Spec, Detach: o.Cluster.Detach}
	ran := make([]bool, len(g.Steps))
	finished := make([]bool, len(g.Steps))
	running := map[int32]bool{}
	code := follow(req, m.prog, m.stdout, m.stderr, func(e *bridge.Event) {
		switch e.Kind {
		case bridge.EvSubmitted:
			if o.Cluster.Detach {
				fmt.Fprintf(m.stdout, "%s: build %s submitted to the cluster; follow it with: dmake cluster attach %s\n", m.prog, id, id)
			}
		case bridge.EvStarted:
			running[e.Step] = true
		case bridge.EvLost:
			delete(running, e.Step)
		}
		if e.Kind != bridge.EvFinished || e.Step < 0 || int(e.Step) >= len(enc.Step) {
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
	if o.Cluster.Detach {
		return code
	}
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

// probe picks what proves a worker sees this tree on the shared
// filesystem: a worker runs the build's steps only if it reads the same
// content at the same path. The makefile read is the natural proof and
// leaves nothing behind; only when it is not a small file in the build's
// directory does dmake write a probe file (written reports that), which a
// killed client would leave behind.
func (m *maker) probe(id string) (p cluster.Probe, written bool, err error) {
	for _, mf := range m.ev.DB.Makefiles {
		if filepath.IsAbs(mf) || strings.HasPrefix(mf, "..") || mf == "-" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(m.dir, mf))
		if err == nil && len(data) > 0 && len(data) <= 64<<10 {
			return cluster.Probe{Path: mf, Content: data}, false, nil
		}
		break
	}
	p, err = writeProbe(m.dir, id)
	return p, err == nil, err
}

// writeProbe writes a file with fresh content in the build's directory.
// The name starts with a dot, so wildcards like * in the makefile do not
// see it.
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

// dmaked finds the dmaked binary: $DMAKED, else next to dmake (links
// followed), else on PATH.
func dmaked() (string, error) {
	if p := os.Getenv("DMAKED"); p != "" {
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(self); err == nil {
			p := filepath.Join(filepath.Dir(real), "dmaked")
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
	}
	return exec.LookPath("dmaked")
}

// follow asks dmaked to carry out req and prints the build's output as it
// comes, calling onEvent for every event; it returns make's exit status for
// the build. Interrupts go to dmaked: the first cancels the build on the
// cluster (recipes are killed there) and follow goes on until the cluster
// says it has stopped.
func follow(req *bridge.Request, prog string, out, errw io.Writer, onEvent func(*bridge.Event)) int {
	path, err := dmaked()
	if err != nil {
		fmt.Fprintf(errw, "%s: *** --cluster needs dmaked next to dmake or on PATH: %v.  Stop.\n", prog, err)
		return 2
	}
	cmd := exec.Command(path, bridge.Command)
	cmd.Stderr = errw
	// Its own process group: interrupts reach it through us, once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(errw, "%s: *** %v.  Stop.\n", prog, err)
		return 2
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	interrupted := false
	go func() {
		for sig := range sigs {
			interrupted = true
			cmd.Process.Signal(sig)
		}
	}()
	bridge.NewEncoder(stdin).Send(req)
	stdin.Close()
	dec := bridge.NewDecoder(stdout)
	demux := map[int32]*makestep.Demux{}
	framed := req.Op == bridge.OpBuild
	status := ""
	for {
		e, err := dec.Event()
		if err != nil {
			break
		}
		if onEvent != nil {
			onEvent(e)
		}
		switch e.Kind {
		case bridge.EvAttached:
			framed = e.Framed
		case bridge.EvOutput:
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
		case bridge.EvFinished:
			if e.Status == "poisoned" {
				fmt.Fprintf(errw, "%s: *** [%s] %s\n", prog, e.Target, e.Message)
			}
		case bridge.EvBuildFinished:
			status = e.Status
		case bridge.EvSubmitted:
			if req.Detach {
				status = "submitted"
			}
		case bridge.EvError:
			fmt.Fprintf(errw, "%s: *** cluster %s: %s.  Stop.\n", prog, strings.Join(req.Addrs, ","), e.Message)
		}
	}
	cmd.Wait()
	switch status {
	case "succeeded", "submitted":
		return 0
	case "cancelled":
		if interrupted {
			fmt.Fprintf(errw, "%s: *** build cancelled\n", prog)
		}
		return 2
	case "":
		if interrupted {
			fmt.Fprintf(errw, "%s: stopped following the build; it goes on: dmake cluster attach BUILD\n", prog)
		}
		return 2
	default:
		return 2
	}
}

// clusterCommand runs "dmake cluster SUBCOMMAND ...": status, workers,
// builds, drain, undrain and cancel are dmaked's own commands (run with the
// same cluster); logs and attach follow a build's output. It reports
// whether args were such a command (a makefile goal named "cluster"
// followed by anything else is still a goal).
func clusterCommand(args []string) (code int, ok bool) {
	if len(args) < 3 || args[1] != "cluster" {
		return 0, false
	}
	sub := args[2]
	switch sub {
	case "status", "workers", "builds", "logs", "attach", "drain", "undrain", "cancel":
	default:
		return 0, false
	}
	addrs, rest := clusterAddrs(args[3:])
	if len(addrs) == 0 {
		fmt.Fprintln(os.Stderr, "dmake cluster: no cluster: give --cluster ADDR[,ADDR...] or set DMAKE_CLUSTER")
		return 2, true
	}
	if sub == "logs" || sub == "attach" {
		if len(rest) < 1 {
			fmt.Fprintf(os.Stderr, "usage: dmake cluster %s BUILD\n", sub)
			return 2, true
		}
		return follow(&bridge.Request{Addrs: addrs, Op: bridge.OpAttach, Build: rest[0]}, "dmake", os.Stdout, os.Stderr, nil), true
	}
	path, err := dmaked()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dmake cluster: needs dmaked next to dmake or on PATH: %v\n", err)
		return 2, true
	}
	cmd := exec.Command(path, append([]string{sub, "--coordinators", strings.Join(addrs, ",")}, flagsFirst(rest)...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), true
		}
		fmt.Fprintf(os.Stderr, "dmake cluster %s: %v\n", sub, err)
		return 2, true
	}
	return 0, true
}

// flagsFirst puts "--name value" and "--name=value" words before the
// others, as dmaked's command line wants them ("drain W --deadline 1m").
func flagsFirst(args []string) []string {
	var flags, others []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case strings.HasPrefix(a, "-") && !strings.Contains(a, "=") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-"):
			flags = append(flags, a+"="+args[i+1])
			i++
		case strings.HasPrefix(a, "-"):
			flags = append(flags, a)
		default:
			others = append(others, a)
		}
	}
	return append(flags, others...)
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
