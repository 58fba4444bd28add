"""k8slite: every Kubernetes component, small enough to read."""
