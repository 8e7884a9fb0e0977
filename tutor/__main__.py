from tutor.cli.command import main

raise SystemExit(main())
