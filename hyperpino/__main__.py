import sys

from hyperpino.cli import main

sys.exit(main())
