"""etcd: the cluster's memory (MVCC store, member server, client)."""
