import sys

from nas_ops.cli import main

sys.exit(main())
