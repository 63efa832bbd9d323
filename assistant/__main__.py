"""`python -m assistant` runs the newsdesk command line."""

from assistant.cli import main

raise SystemExit(main())
