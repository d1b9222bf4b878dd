"""``python -m voiceguide``."""

from .cli.commands import main

main()
