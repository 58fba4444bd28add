"""kube-scheduler: queue, filter, score, bind."""
