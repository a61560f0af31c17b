"""The control channel: how hactl (and the lab) talk to an agent."""
