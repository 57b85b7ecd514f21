"""Load benchmark of the bot: `python -m benchmarks.run --help` (see the README's "Performance")."""
