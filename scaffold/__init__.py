"""scaffold renders backend service skeletons that build, lint, test and run on day one."""

__version__ = "0.1.0"
