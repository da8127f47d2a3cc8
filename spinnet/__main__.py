"""``python -m spinnet``: the same command line as the ``spinnet`` console script."""

import sys

from spinnet.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
