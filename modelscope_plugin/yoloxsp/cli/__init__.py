"""The ``yoloxsp`` command line."""
