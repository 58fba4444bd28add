"""kube-apiserver: REST over etcd, with a watch cache and admission."""
