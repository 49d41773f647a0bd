"""The explorer's worker: one thread, the newest request first, background work when idle."""

from __future__ import annotations

import threading

from .path import Abandoned

__all__ = ["LatestWins"]


class LatestWins:
    """One worker thread: the newest request first, background work when idle.

    ``submit(request)`` replaces any request not yet started; a solve in flight
    sees ``superseded()`` and is abandoned (its ``watch`` raises ``Abandoned``).
    When no request waits, ``idle()`` is asked for a background job (a callable,
    or None when there is nothing to do). ``close()`` stops the thread; a solve
    in flight is abandoned.
    """

    def __init__(self, work, on_error, idle=None):
        self._work, self._on_error, self._idle_work = work, on_error, idle
        self._pending = None
        self._foreground = False  # a request is being answered
        self._closed = False
        self._cv = threading.Condition()
        self._thread = None

    def submit(self, request) -> None:
        with self._cv:
            if self._closed:
                return
            self._pending = request
            self._cv.notify_all()
        self.start()

    def start(self) -> None:
        """Start the worker thread (``submit`` does), or wake it for background work."""
        with self._cv:
            if self._closed:
                return
            self._cv.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True, name="explorer-worker")
                self._thread.start()

    def superseded(self) -> bool:
        """True when a newer request waits or the worker is closing: the current work is stale."""
        return self._pending is not None or self._closed

    def check(self, *_ignored) -> None:
        """Raise ``Abandoned`` when ``superseded()`` (a solver's ``watch``)."""
        if self.superseded():
            raise Abandoned

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker: the request waiting is dropped, a solve in flight abandoned."""
        with self._cv:
            self._closed = True
            self._pending = None
            self._cv.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while True:
            job = None
            with self._cv:
                while True:
                    if self._closed:
                        self._foreground = False
                        self._cv.notify_all()
                        return
                    if self._pending is not None:
                        request, self._pending = self._pending, None
                        self._foreground = True
                        break
                    self._foreground = False
                    self._cv.notify_all()
                    job = self._idle_work() if self._idle_work is not None else None
                    if job is not None:
                        break
                    self._cv.wait()
            try:
                if job is not None:
                    job()
                else:
                    self._work(request)
            except Abandoned:
                pass
            except Exception as exc:  # shown in the widget, never lost in the kernel log
                self._on_error(exc)

    def wait(self, timeout: float = 60.0) -> None:
        """Block until every request has been answered (background work may go on)."""
        with self._cv:
            self._cv.wait_for(lambda: self._closed or (self._pending is None and not self._foreground), timeout)
