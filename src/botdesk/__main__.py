"""`python -m botdesk` runs the CLI."""

from botdesk.cli import main

main()
