// Package client talks to a dmake cluster: submitting builds, following
// their events, cancelling them, and the listing and operator calls behind
// `dmake cluster ...` and `dmaked operator ...`.
//
// A Client is given every coordinator address it knows. Writes go to the
// leader: a follower's FailedPrecondition redirect names it, and the client
// redials there; an unreachable coordinator is skipped for the next one.
// All writes are idempotent (builds carry client-chosen IDs), so a call whose
// outcome was unknown is simply retried until ctx ends.
package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/dmake/dmake/pkg/cluster/coord"
	pb "github.com/dmake/dmake/pkg/cluster/proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// CallTimeout bounds one attempt of a unary call; the call as a whole is
// bounded by its ctx.
const CallTimeout = 15 * time.Second

// Client is a connection to a cluster's coordinators. It is safe for
// concurrent use.
type Client struct {
	addrs []string

	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
	leader string // last leader address learnt from a redirect or a success
	next   int    // next address to try when the leader is unknown
}

// New returns a client for the coordinators at addrs (gRPC addresses).
func New(addrs []string) *Client {
	return &Client{addrs: append([]string(nil), addrs...), conns: map[string]*grpc.ClientConn{}}
}

// Close closes every connection.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for a, cc := range c.conns {
		if err := cc.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.conns, a)
	}
	return first
}

func (c *Client) stub(addr string) (pb.CoordinatorClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cc := c.conns[addr]
	if cc == nil {
		var err error
		cc, err = grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16<<20)),
			// Notice a coordinator that vanished without closing the
			// connection (machine gone, process stopped).
			grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 10 * time.Second, Timeout: 5 * time.Second, PermitWithoutStream: true}))
		if err != nil {
			return nil, fmt.Errorf("dial %s: %w", addr, err)
		}
		c.conns[addr] = cc
	}
	return pb.NewCoordinatorClient(cc), nil
}

// target returns the address to try: the known leader, or the next one in
// turn.
func (c *Client) target() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leader != "" {
		return c.leader
	}
	a := c.addrs[c.next%len(c.addrs)]
	c.next++
	return a
}

func (c *Client) setLeader(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leader = addr
}

// Retryable reports whether err means "try another coordinator".
func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled, codes.Aborted:
		return true
	}
	return false
}

// Call runs fn against the leader, following redirects and skipping
// unreachable coordinators until it succeeds, fails for good, or ctx ends.
// It is exported for the worker agent, which follows the leader the same way.
func (c *Client) Call(ctx context.Context, fn func(context.Context, string, pb.CoordinatorClient) error) error {
	if len(c.addrs) == 0 {
		return errors.New("no coordinator addresses")
	}
	delay := 50 * time.Millisecond
	for {
		addr := c.target()
		stub, err := c.stub(addr)
		if err == nil {
			err = fn(ctx, addr, stub)
		}
		if err == nil {
			c.setLeader(addr)
			return nil
		}
		leader, redirect := coord.LeaderFromError(err)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case redirect && leader != "" && leader != addr:
			c.setLeader(leader)
			continue
		case redirect, retryable(err):
			c.setLeader("")
		default:
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

func (c *Client) unary(ctx context.Context, fn func(context.Context, pb.CoordinatorClient) error) error {
	return c.Call(ctx, func(ctx context.Context, _ string, s pb.CoordinatorClient) error {
		cctx, cancel := context.WithTimeout(ctx, CallTimeout)
		defer cancel()
		return fn(cctx, s)
	})
}
