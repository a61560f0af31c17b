"""Placeholder: replaced by the real command."""

import click


@click.command()
def validate() -> None:
    """Not written yet."""
    raise click.ClickException("not written yet")
