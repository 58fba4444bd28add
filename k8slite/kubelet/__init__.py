"""The kubelet: the node agent."""
