"""The BLAS thread policy, in one place: every BLAS pool on one thread around a solve or a descent.

NumPy's OpenBLAS and the one SciPy ships are two pools; on a laptop's two
cores a second thread costs more than it gives as soon as anything else runs
(a Voila server, a browser, a second notebook), and two pools of two threads
fight each other (the measurements: ``docs/architecture.md``). So descent
(``descent``), the solve pipeline (``optimum``) and the explorer run inside
``blas_on_one_thread()``. OpenBLAS takes a new thread count only from the main
thread: a worker thread relies on the main thread holding the block (the
explorer holds it while it lives).
"""

from __future__ import annotations

import contextlib
import functools
import threading

from threadpoolctl import ThreadpoolController

__all__ = ["ONE_THREAD_ENV", "blas_libraries", "blas_on_one_thread"]

#: the environment that starts a process's BLAS pools on one thread: for processes run side by side, one per
#: core (the class grading's kernels and regrades), where pools of several threads each slow one another badly
ONE_THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@functools.lru_cache(maxsize=1)
def blas_libraries() -> list:
    """The BLAS libraries loaded (NumPy's, and the one SciPy ships for itself)."""
    import scipy.linalg  # noqa: F401 - loads SciPy's own BLAS, so it is found here

    return [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]


_blas_lock = threading.Lock()
_blas_depth = 0
_blas_before: list = []


@contextlib.contextmanager
def blas_on_one_thread():
    """Hold every BLAS pool to one thread inside the block (re-entrant).

    OpenBLAS takes a new thread count only from the main thread (from any other
    thread ``set_num_threads`` is ignored): elsewhere this block does nothing,
    and a worker thread runs under whatever the main thread holds (the explorer
    holds one thread from the main thread while it lives).
    """
    global _blas_depth, _blas_before
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with _blas_lock:
        if _blas_depth == 0:
            _blas_before = [lib.num_threads for lib in blas_libraries()]
            for lib in blas_libraries():
                lib.set_num_threads(1)
        _blas_depth += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_depth -= 1
            if _blas_depth == 0:
                for lib, threads in zip(blas_libraries(), _blas_before):
                    lib.set_num_threads(threads)
