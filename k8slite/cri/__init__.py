"""CRI: the container runtime behind the kubelet."""
