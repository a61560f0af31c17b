"""``hafailover keygen``: the heartbeat key and the TLS material for a cluster."""

from __future__ import annotations

from pathlib import Path

import click

from hafailover import settings
from hafailover.cli.options import CliError
from hafailover.config.loader import load_config_file
from hafailover.security.material import Identity, generate


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), required=True,
              help="The cluster configuration (names and addresses go into certificates).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              default=settings.KEY_DIR, show_default=True, help="Where to write the files.")
@click.option("--force", is_flag=True, help="Replace existing keys (every node needs the "
              "new ones before it can talk to the others again).")
def keygen(config_path: str, out_dir: str, force: bool) -> None:
    """Write the cluster key (heartbeat signing), a cluster CA, and a certificate for every
    node and for the admin client.

    \b
    Example:
      hafailover keygen --config /etc/hafailover/cluster.yaml --out /etc/hafailover/keys
      # then copy cluster.key, ca.crt and NODE.crt/NODE.key to each node
    """
    result = load_config_file(config_path)
    if result.config is None:
        raise CliError("the configuration has errors; run: hafailover validate "
                       f"{config_path}")
    config = result.config
    identities = [Identity(n.name, tuple(sorted(set(n.addresses.values())))) for n in
                  config.nodes]
    identities.append(Identity("admin", server=False))
    try:
        written = generate(Path(out_dir), config.name, identities, force=force)
    except FileExistsError as exc:
        raise CliError(str(exc)) from None
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"each node needs cluster.key, ca.crt and its own NODE.crt/NODE.key in "
               f"{out_dir}; keep ca.key off the nodes if you can")
