"""etcd: the cluster's memory (MVCC store, Raft, members, client, checker, real-etcd adapter)."""
from .client import EtcdClient
from .cluster import EtcdCluster
from .mvcc import Compare, MVCCStore, Op
from .server import EtcdServer

__all__ = ["Compare", "EtcdClient", "EtcdCluster", "EtcdServer", "MVCCStore", "Op"]
