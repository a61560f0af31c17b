"""Built-in resource agents (OCF-compatible command lines)."""
