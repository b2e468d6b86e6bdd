"""omnisim: a SimPy + Mesa simulator of omni-channel order flows."""

__version__ = "0.1.0"
