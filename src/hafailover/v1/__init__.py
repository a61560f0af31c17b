"""Generated from proto/hafailover/v1 by scripts/gen-proto.sh: do not edit."""
