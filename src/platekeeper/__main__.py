"""Allow ``python -m platekeeper``."""

from platekeeper.cli import main

main()
