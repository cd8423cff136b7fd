"""Storage of registry objects: the only place that knows the registry's tables."""
