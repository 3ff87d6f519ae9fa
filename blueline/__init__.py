"""``python -m blueline``: the ``blueline`` command line (see :mod:`scenarios.cli`)."""
