// Package clusterpb is the dmake cluster protocol: dmake.proto and the Go
// code protoc generates from it (committed; regenerate with `make proto`,
// recipe in mk/proto.mk). The service and message comments in dmake.proto
// are the reference; docs/cluster.md says how the pieces use them.
package clusterpb
