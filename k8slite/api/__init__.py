"""The API machinery: scheme, metadata, selectors, quantities, defaults, validation, Status errors."""
from .defaults import apply_defaults
from .errors import StatusError
from .labels import FieldSelector, Selector
from .quantity import parse_quantity
from .scheme import SCHEME, ResourceInfo
from .validation import validate

__all__ = ["FieldSelector", "ResourceInfo", "SCHEME", "Selector", "StatusError",
           "apply_defaults", "parse_quantity", "validate"]
