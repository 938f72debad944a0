# Regenerate the cluster protocol's Go code (committed). Included from the
# top Makefile; needs protoc, protoc-gen-go and protoc-gen-go-grpc on PATH.
PROTOC ?= protoc
CLUSTER_PROTO := pkg/cluster/proto/dmake.proto

proto:
	$(PROTOC) --go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative \
		$(CLUSTER_PROTO)
