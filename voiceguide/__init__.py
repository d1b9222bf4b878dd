"""voiceguide: routine scripts → spoken, exactly timed guided sessions."""

__version__ = "0.1.0"
