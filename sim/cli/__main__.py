"""``python -m sim.cli`` runs the ``omnisim`` command."""

from sim.cli import main

main()
