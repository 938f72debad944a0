package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dmake/dmake/pkg/cluster/client"
	"github.com/urfave/cli/v2"
)

var coordinatorsFlag = &cli.StringSliceFlag{Name: "coordinators", Aliases: []string{"c"}, Value: cli.NewStringSlice("127.0.0.1:7400"),
	EnvVars: []string{"DMAKE_CLUSTER"}, Usage: "gRPC addresses of the coordinators"}

// withClient runs fn with a client and a 30 s deadline.
func withClient(c *cli.Context, fn func(context.Context, *client.Client) error) error {
	cl := client.New(splitList(c.StringSlice("coordinators")))
	defer cl.Close()
	ctx, cancel := context.WithTimeout(c.Context, 30*time.Second)
	defer cancel()
	return fn(ctx, cl)
}

func table() *tabwriter.Writer { return tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0) }

func statusCommand() *cli.Command {
	return &cli.Command{
		Name: "status", Usage: "show the leader, coordinators and counts", Flags: []cli.Flag{coordinatorsFlag},
		Action: func(c *cli.Context) error {
			return withClient(c, func(ctx context.Context, cl *client.Client) error {
				st, err := cl.Status(ctx)
				if err != nil {
					return err
				}
				fmt.Printf("leader: %s (%s)\nworkers up: %d\nbuilds running: %d\napplied index: %d\n", st.LeaderId, st.LeaderRpc, st.Workers, st.BuildsRunning, st.AppliedIndex)
				return printPeers(st.Servers)
			})
		},
	}
}

func workersCommand() *cli.Command {
	return &cli.Command{
		Name: "workers", Usage: "list workers", Flags: []cli.Flag{coordinatorsFlag},
		Action: func(c *cli.Context) error {
			return withClient(c, func(ctx context.Context, cl *client.Client) error {
				ws, err := cl.Workers(ctx)
				if err != nil {
					return err
				}
				w := table()
				fmt.Fprintln(w, "ID\tNAME\tSTATUS\tSLOTS\tRUNNING\tSESSION\tLABELS")
				for _, x := range ws {
					fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%d\t%s\n", x.Id, x.Name, x.Status, x.Slots, x.Running, x.Session, strings.Join(x.Labels, ","))
				}
				return w.Flush()
			})
		},
	}
}

func buildsCommand() *cli.Command {
	return &cli.Command{
		Name: "builds", Usage: "list builds", Flags: []cli.Flag{coordinatorsFlag},
		Action: func(c *cli.Context) error {
			return withClient(c, func(ctx context.Context, cl *client.Client) error {
				bs, err := cl.Builds(ctx)
				if err != nil {
					return err
				}
				w := table()
				fmt.Fprintln(w, "ID\tSTATUS\tDONE\tRUNNING\tFAILED\tDIR")
				for _, b := range bs {
					fmt.Fprintf(w, "%s\t%s\t%d/%d\t%d\t%d\t%s\n", b.Id, b.Status, b.Done, b.Steps, b.Running, b.Failures, b.Dir)
				}
				return w.Flush()
			})
		},
	}
}

func drainCommand() *cli.Command {
	return &cli.Command{
		Name: "drain", Usage: "stop giving a worker new steps", ArgsUsage: "WORKER",
		Flags: []cli.Flag{coordinatorsFlag, &cli.DurationFlag{Name: "deadline", Usage: "then requeue what still runs there (0: none)"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("drain: give one worker")
			}
			return withClient(c, func(ctx context.Context, cl *client.Client) error {
				return cl.Drain(ctx, c.Args().First(), c.Duration("deadline"))
			})
		},
	}
}

func undrainCommand() *cli.Command {
	return &cli.Command{
		Name: "undrain", Usage: "let a drained worker take steps again", ArgsUsage: "WORKER", Flags: []cli.Flag{coordinatorsFlag},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("undrain: give one worker")
			}
			return withClient(c, func(ctx context.Context, cl *client.Client) error {
				return cl.Undrain(ctx, c.Args().First())
			})
		},
	}
}

func cancelCommand() *cli.Command {
	return &cli.Command{
		Name: "cancel", Usage: "cancel a build", ArgsUsage: "BUILD", Flags: []cli.Flag{coordinatorsFlag},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("cancel: give one build")
			}
			return withClient(c, func(ctx context.Context, cl *client.Client) error {
				return cl.Cancel(ctx, c.Args().First())
			})
		},
	}
}

func operatorCommand() *cli.Command {
	return &cli.Command{
		Name: "operator", Usage: "operate the coordinators",
		Subcommands: []*cli.Command{{
			Name: "raft", Usage: "the Raft configuration",
			Subcommands: []*cli.Command{
				{
					Name: "list-peers", Flags: []cli.Flag{coordinatorsFlag},
					Action: func(c *cli.Context) error {
						return withClient(c, func(ctx context.Context, cl *client.Client) error {
							ps, err := cl.RaftPeers(ctx)
							if err != nil {
								return err
							}
							return printPeers(ps)
						})
					},
				},
				{
					Name: "add-peer", ArgsUsage: "ID RAFT-ADDR [RPC-ADDR]",
					Flags: []cli.Flag{coordinatorsFlag, &cli.BoolFlag{Name: "nonvoter"}},
					Action: func(c *cli.Context) error {
						if c.NArg() < 2 {
							return errors.New("add-peer: give ID and raft address")
						}
						return withClient(c, func(ctx context.Context, cl *client.Client) error {
							return cl.AddPeer(ctx, c.Args().Get(0), c.Args().Get(1), c.Args().Get(2), c.Bool("nonvoter"))
						})
					},
				},
				{
					Name: "remove-peer", ArgsUsage: "ID", Flags: []cli.Flag{coordinatorsFlag},
					Action: func(c *cli.Context) error {
						if c.NArg() != 1 {
							return errors.New("remove-peer: give one ID")
						}
						return withClient(c, func(ctx context.Context, cl *client.Client) error {
							return cl.RemovePeer(ctx, c.Args().First())
						})
					},
				},
				{
					Name: "transfer-leader", ArgsUsage: "[ID]", Flags: []cli.Flag{coordinatorsFlag},
					Action: func(c *cli.Context) error {
						return withClient(c, func(ctx context.Context, cl *client.Client) error {
							return cl.TransferLeader(ctx, c.Args().First())
						})
					},
				},
			},
		}},
	}
}

func printPeers(ps []*client.ServerInfo) error {
	w := table()
	fmt.Fprintln(w, "ID\tRAFT\tRPC\tVOTER\tLEADER")
	for _, p := range ps {
		fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%v\n", p.Id, p.RaftAddr, p.RpcAddr, p.Voter, p.Leader)
	}
	return w.Flush()
}
