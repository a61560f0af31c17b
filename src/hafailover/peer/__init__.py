"""The peer channel: gRPC with mutual TLS between the nodes of one cluster."""
