"""``python -m voiceguide``."""

from .cli import main

main()
