"""kubectl: the command line and its printers (``Kubectl``, ``Result``)."""
from .kubectl import Kubectl, Result

__all__ = ["Kubectl", "Result"]
