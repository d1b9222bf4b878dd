"""``python -m voiceguide``."""

from .cli.app import main

main()
