"""Sub-commands of the ``platekeeper`` command, one module each."""
