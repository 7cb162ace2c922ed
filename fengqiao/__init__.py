"""fengqiao (枫桥): grassroots safety construction and comprehensive governance."""

__version__ = "0.1.0"
