"""The ``roadlabel`` command line."""
