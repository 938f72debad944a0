package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dmake/dmake/pkg/cluster/bridge"
	"github.com/dmake/dmake/pkg/cluster/client"
	"github.com/dmake/dmake/pkg/cluster/makestep"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// runBridge serves one dmake: it reads a request on stdin and writes the
// build's events on stdout until the build finishes (see pkg/cluster/
// bridge). dmake forwards its interrupts to us: the first cancels the build
// on the cluster and we go on until the cluster says it has stopped; a
// second one, or dmake going away, ends the bridge and leaves the build
// to the cluster.
func runBridge() int {
	out := bridge.NewEncoder(os.Stdout)
	req, err := bridge.NewDecoder(os.Stdin).Request()
	if err != nil {
		out.Send(&bridge.Event{Kind: bridge.EvError, Message: "bad request: " + err.Error()})
		return 2
	}
	c := client.New(req.Addrs)
	defer c.Close()
	fail := func(format string, args ...any) int {
		out.Send(&bridge.Event{Kind: bridge.EvError, Message: fmt.Sprintf(format, args...)})
		return 2
	}
	id := req.Build
	framed := true
	switch req.Op {
	case bridge.OpBuild:
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := c.Submit(ctx, req.Spec)
		cancel()
		if err != nil {
			return fail("%v", err)
		}
		id = req.Spec.ID
		if err := out.Send(&bridge.Event{Kind: bridge.EvSubmitted, Message: id}); err != nil || req.Detach {
			return 0
		}
	case bridge.OpAttach:
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		payload, err := c.BuildPayload(ctx, id)
		cancel()
		if err != nil {
			return fail("%v", err)
		}
		framed = makestep.IsMakeBuild(payload)
		out.Send(&bridge.Event{Kind: bridge.EvAttached, Message: id, Framed: framed})
	default:
		return fail("unknown request %q", req.Op)
	}
	return follow(c, id, out, req.Op == bridge.OpBuild)
}

func follow(c *client.Client, id string, out *bridge.Encoder, cancelOnInterrupt bool) int {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		cancelled := false
		for range sigs {
			if !cancelOnInterrupt || cancelled {
				stop()
				return
			}
			cancelled = true
			cctx, done := context.WithTimeout(context.Background(), 15*time.Second)
			if err := c.Cancel(cctx, id); err != nil {
				out.Send(&bridge.Event{Kind: bridge.EvError, Message: "cancel: " + err.Error()})
			}
			done()
		}
	}()
	kinds := map[pb.Event_Kind]bridge.Kind{
		pb.Event_STEP_STARTED: bridge.EvStarted, pb.Event_OUTPUT: bridge.EvOutput,
		pb.Event_STEP_FINISHED: bridge.EvFinished, pb.Event_STEP_LOST: bridge.EvLost,
		pb.Event_BUILD_FINISHED: bridge.EvBuildFinished,
	}
	_, err := c.Events(ctx, id, 0, func(e *client.Event) error {
		k, ok := kinds[e.Kind]
		if !ok {
			return nil
		}
		return out.Send(&bridge.Event{Kind: k, Step: e.Step, Target: e.Target, Status: e.Status, Message: e.Message, Data: e.Data})
	})
	if err != nil && ctx.Err() == nil {
		out.Send(&bridge.Event{Kind: bridge.EvError, Message: err.Error()})
		return 2
	}
	return 0
}
