"""The world the components live in: virtual time, a network, a trace."""
from .kernel import Cancelled, Future, Kernel, Queue, Task, TaskFailed, Timeout
from .network import Message, Network, Refused, Unreachable
from .trace import Hop, Trace

__all__ = ["Cancelled", "Future", "Hop", "Kernel", "Message", "Network", "Queue", "Refused", "Task",
           "TaskFailed", "Timeout", "Trace", "Unreachable"]
