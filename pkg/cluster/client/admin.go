package client

import (
	"context"
	"time"

	pb "github.com/dmake/dmake/pkg/cluster/proto"
)

// Status returns the cluster's status as the leader sees it.
func (c *Client) Status(ctx context.Context) (*pb.StatusResponse, error) {
	var out *pb.StatusResponse
	err := c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) (err error) {
		out, err = s.Status(ctx, &pb.StatusRequest{})
		return err
	})
	return out, err
}

// Workers lists the workers.
func (c *Client) Workers(ctx context.Context) ([]*pb.WorkerInfo, error) {
	var out *pb.WorkersResponse
	err := c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) (err error) {
		out, err = s.Workers(ctx, &pb.WorkersRequest{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Workers, nil
}

// Builds lists the builds the cluster still holds.
func (c *Client) Builds(ctx context.Context) ([]*pb.BuildInfo, error) {
	var out *pb.BuildsResponse
	err := c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) (err error) {
		out, err = s.Builds(ctx, &pb.BuildsRequest{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Builds, nil
}

// Drain stops new work going to a worker (by ID or name). With a deadline
// (> 0) the leader requeues what still runs there when it passes.
func (c *Client) Drain(ctx context.Context, worker string, deadline time.Duration) error {
	return c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) error {
		_, err := s.Drain(ctx, &pb.DrainRequest{Worker: worker, Enable: true, DeadlineMs: deadline.Milliseconds()})
		return err
	})
}

// Undrain makes a drained worker take new work again.
func (c *Client) Undrain(ctx context.Context, worker string) error {
	return c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) error {
		_, err := s.Drain(ctx, &pb.DrainRequest{Worker: worker})
		return err
	})
}

// RaftPeers lists the coordinators in the Raft configuration.
func (c *Client) RaftPeers(ctx context.Context) ([]*pb.ServerInfo, error) {
	var out *pb.RaftPeersResponse
	err := c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) (err error) {
		out, err = s.RaftPeers(ctx, &pb.RaftPeersRequest{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Servers, nil
}

// AddPeer adds a coordinator (as a voter unless nonvoter) to the cluster.
func (c *Client) AddPeer(ctx context.Context, id, raftAddr, rpcAddr string, nonvoter bool) error {
	return c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) error {
		_, err := s.Join(ctx, &pb.JoinRequest{Id: id, RaftAddr: raftAddr, RpcAddr: rpcAddr, Nonvoter: nonvoter})
		return err
	})
}

// RemovePeer removes a coordinator from the cluster.
func (c *Client) RemovePeer(ctx context.Context, id string) error {
	return c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) error {
		_, err := s.RemovePeer(ctx, &pb.RemovePeerRequest{Id: id})
		return err
	})
}

// TransferLeader moves leadership to coordinator id ("" for any other).
func (c *Client) TransferLeader(ctx context.Context, id string) error {
	return c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) error {
		_, err := s.TransferLeader(ctx, &pb.TransferLeaderRequest{Id: id})
		return err
	})
}

// BuildInfo fetches a build's payload, directory and probe from any
// coordinator.
func (c *Client) BuildInfo(ctx context.Context, build string) (*pb.BuildPayloadResponse, error) {
	var out *pb.BuildPayloadResponse
	err := c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) (err error) {
		out, err = s.BuildPayload(ctx, &pb.BuildPayloadRequest{Build: build})
		return err
	})
	return out, err
}

// BuildPayload fetches a build's payload from any coordinator.
func (c *Client) BuildPayload(ctx context.Context, build string) ([]byte, error) {
	var out *pb.BuildPayloadResponse
	err := c.unary(ctx, func(ctx context.Context, s pb.CoordinatorClient) (err error) {
		out, err = s.BuildPayload(ctx, &pb.BuildPayloadRequest{Build: build})
		return err
	})
	if err != nil {
		return nil, err
	}
	return out.Payload, nil
}

// ServerInfo describes one coordinator.
type ServerInfo = pb.ServerInfo
