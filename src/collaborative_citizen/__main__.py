import sys

from .cli import main

# (Guarded: the PDF step's worker process, started by multiprocessing's spawn, imports this module again.)
if __name__ == "__main__":
    sys.exit(main())
