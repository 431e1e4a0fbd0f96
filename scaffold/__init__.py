"""scaffold renders backend service skeletons that build, lint, test and run on day one."""

from importlib.metadata import version

__version__ = version("scaffold")
