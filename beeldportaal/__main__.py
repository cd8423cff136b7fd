"""``python -m beeldportaal`` runs the CLI."""

from beeldportaal.cli import main

raise SystemExit(main())
