"""metrics-server: resource metrics from the kubelets, served as metrics.k8s.io."""
