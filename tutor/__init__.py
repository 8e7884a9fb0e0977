"""chain-tutor: learn the chain rule for matrix derivatives one factor at a time."""

__version__ = "0.1.0"
