"""``python -m hafailover``: the same as the ``hafailover`` command."""

from hafailover.cli.hafailover import main

main()
