"""Cluster secrets: heartbeat key, cluster CA, certificates for mutual TLS."""
