"""The lab: a whole cluster on one machine, in network namespaces."""
