"""k8slite: every Kubernetes component, small enough to read.

``from k8slite import Cluster`` is all a reader needs; the components live in the
folders named after the Kubernetes components they mirror.
"""
from .cluster import Cluster

__all__ = ["Cluster"]
