"""Imported once by the sweep executor's forkserver, so that every worker forked from it starts warm.

The first run of the compiled engine in a process loads its machine code
from numba's cache (about half a second). Loaded here, in the forkserver,
the workers inherit it instead of each loading it again.
"""

from sim import CultureModel

CultureModel(rng=0).run(1)
