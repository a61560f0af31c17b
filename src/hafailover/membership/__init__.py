"""Membership: heartbeats, failure detection, views, coordinator election."""
