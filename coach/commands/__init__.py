"""`coach` subcommands kept out of cli.py, one module per feature; each has a ``register(cli)``."""
