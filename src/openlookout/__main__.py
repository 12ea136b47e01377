from openlookout.cli import main

raise SystemExit(main())
