#!/usr/bin/python3
"""The original single-script client's command line, kept working.

The client is now the package pipeline_client/ beside this file
(`python3 -m pipeline_client` once installed); this script runs its command
line from the source tree, with the same options as before:

  /usr/bin/python3 clients/python/pipeline_client.py --address unix:/x ping
"""
import os
import sys

if __name__ == "__main__":
    # sys.path[0] is this directory, where the package lives.
    from pipeline_client.cli import main
    sys.exit(main())
else:
    # Loaded as a module from its file: hand out the package's names.
    _here = os.path.dirname(os.path.abspath(__file__))
    if _here not in sys.path:
        sys.path.insert(0, _here)
    from pipeline_client import *  # noqa: F401,F403
    from pipeline_client import pb  # noqa: F401
