"""The console's operations from a shell: `python -m lib.cli COMMAND`."""
