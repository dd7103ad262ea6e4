"""``python -m trainwise``: the command line, so torchrun can start it as a module.

Example::

    torchrun --nproc-per-node 2 -m trainwise run examples/circles.yaml --out runs/c --resume auto
"""

import sys

from trainwise.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
