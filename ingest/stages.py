"""The two threads of the ingest pipeline: a generator run in a thread (reading and
chunking) and a consumer of queued items (writing), each handing its error to the caller."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any


class Stage(threading.Thread):
    """Runs a generator in a thread, handing its items (or its exception) through a queue."""

    _END = object()

    def __init__(self, make: Callable[[], Iterator[Any]], out: queue.Queue[Any]) -> None:
        super().__init__(daemon=True)
        self.make = make
        self.out = out
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            for item in self.make():
                while not self.stopped.is_set():
                    try:
                        self.out.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if self.stopped.is_set():
                    return
            self.out.put(self._END)
        except BaseException as exc:  # handed to the consumer, re-raised there
            self.out.put(exc)

    def results(self) -> Iterator[Any]:
        while True:
            item = self.out.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def stop(self) -> None:
        self.stopped.set()


class Consumer(threading.Thread):
    """Applies a function to queued items in a thread; its first error surfaces on close."""

    _END = object()

    def __init__(self, fn: Callable[[Any], None], inbox: queue.Queue[Any]) -> None:
        super().__init__(daemon=True)
        self.fn = fn
        self.inbox = inbox
        self.error: BaseException | None = None

    def run(self) -> None:
        while True:
            item = self.inbox.get()
            if item is self._END:
                return
            if self.error is None:
                try:
                    self.fn(item)
                except BaseException as exc:  # kept, re-raised in the caller's thread
                    self.error = exc

    def put(self, item: Any) -> None:
        if self.error is not None:
            raise self.error
        self.inbox.put(item)

    def close(self) -> None:
        self.inbox.put(self._END)
        self.join()
        if self.error is not None:
            raise self.error
