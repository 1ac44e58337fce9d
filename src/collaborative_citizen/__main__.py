import sys

from .cli import main

# (Guarded: a process multiprocessing starts by spawn or forkserver imports this module again.)
if __name__ == "__main__":
    sys.exit(main())
