"""Virtual time for the politeness limiter and the crawler: no test waits for real seconds."""

from __future__ import annotations

import asyncio
import heapq
import itertools


class FakeClock:
    """`sleep` waits until the clock reaches its deadline; `run` jumps the clock to the earliest
    deadline whenever the tasks have had a few loop turns to do everything else."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    def run(self, main):
        async def drive():
            task = asyncio.ensure_future(main)
            while not task.done():
                for _ in range(50):
                    await asyncio.sleep(0)
                if task.done():
                    break
                if self._sleepers:
                    deadline, _, future = heapq.heappop(self._sleepers)
                    self.now = max(self.now, deadline)
                    if not future.done():
                        future.set_result(None)
                else:
                    await asyncio.sleep(0.001)  # real I/O (a local server) is under way
            return task.result()

        return asyncio.run(drive())
