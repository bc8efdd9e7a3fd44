"""``python -m bot`` runs the ``storyfit`` command line."""

from bot.cli import main

main()
