"""CNI: pod networking on each node."""
