"""`python -m bench.peak_rss COMMAND…`: run COMMAND, its stderr discarded, and print on stderr its
wall time in seconds and its peak RSS in kB.

A child forked from a large process reports that process's size as its own peak (ru_maxrss counts
the pages it had before its exec); forked from this small one, the figure is the command's.
"""

import os
import subprocess
import sys
import time


def main(command: list[str]) -> int:
    started = time.perf_counter()
    child = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    print(f"{time.perf_counter() - started:.6f} {usage.ru_maxrss}", file=sys.stderr)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
