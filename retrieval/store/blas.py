"""numpy's BLAS on one thread for the whole process.

Every matrix Storyfit multiplies is small: a brief's sentences against the 2,000-bio calibration
sample, a few hundred candidates' vectors. With OpenBLAS's default of a thread per core, each
product wakes a second thread that spins for work: measured on this 2-core machine under load, a
brief's calibration products took 20 ms of CPU on two threads and 2 ms on one, with bit-identical
results (bench/bench_recommend.py). The multilingual encoder already limits itself to one thread
per call; this sets the same for everything else.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def use_one_blas_thread() -> None:
    """Limit every BLAS library numpy loaded to one thread, for the rest of the process."""
    threadpool_limits(limits=1, user_api="blas")
