"""Placeholder: replaced by the real command."""

import click


@click.group(name="import")
def import_group() -> None:
    """Not written yet."""
