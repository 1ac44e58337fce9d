import gc
import sys

from .cli import main

# (Guarded: a process multiprocessing starts by spawn or forkserver imports this module again.)
if __name__ == "__main__":
    status = main()
    # At exit the interpreter's garbage collections walk every object the libraries made (a quarter of a second
    # after the PDF step); frozen, the objects are freed without being walked.
    gc.freeze()
    sys.exit(status)
