"""kube-controller-manager: the reconcile loops."""
