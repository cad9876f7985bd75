"""What both command lines (plot, compare) do around their main()."""

import os
import sys


def guarded(main, prog, argv=None):
    """main(argv) without a bare traceback for the user (PLOT_DEBUG=1 shows it)."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        print(f"{prog}: error: internal error: {type(e).__name__}: {e} "
              "(set PLOT_DEBUG=1 for the traceback)", file=sys.stderr)
        if os.environ.get("PLOT_DEBUG"):
            raise
        return 1
