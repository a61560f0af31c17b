"""Placeholder: replaced by the real command."""

import click


@click.command()
def simulate() -> None:
    """Not written yet."""
    raise click.ClickException("not written yet")
