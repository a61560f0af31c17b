"""Placeholder: replaced by the real command."""

import click


@click.group(name="agents")
def agents_group() -> None:
    """Not written yet."""
