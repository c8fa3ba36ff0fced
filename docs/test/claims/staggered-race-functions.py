# page: ../packages/core/src/Concurrent.ts
# quote: backup…) may be given, as asyncio's `staggered_race` takes one coroutine function per attempt
# page: guide/concurrent.md
# quote: as asyncio's `staggered_race` takes one coroutine function per attempt
# asyncio's staggered_race takes one coroutine function per attempt and calls each only when its
# attempt starts: after `delay`, or at once when the attempt before it fails. An attempt that never
# starts is never called, and the first success wins.
import asyncio
from asyncio.staggered import staggered_race

started = []


def attempt(n):
    async def run():
        started.append((n, asyncio.get_running_loop().time()))
        if n == 1:
            await asyncio.sleep(3600)  # never answers
        if n == 2:
            await asyncio.sleep(0.05)
            raise RuntimeError("backup failed")
        await asyncio.sleep(0.01)
        return f"answer of {n}"

    return run


async def main():
    t0 = asyncio.get_running_loop().time()
    winner, index, errors = await staggered_race([attempt(n) for n in (1, 2, 3, 4)], 0.1)
    print(winner, index)
    print("started:", [n for n, _ in started])
    times = {n: at - t0 for n, at in started}
    print("2 after the delay:", times[2] >= 0.1)
    print("3 as soon as 2 failed, before the next delay:", times[3] - times[2] < 0.1)


asyncio.run(main())
# Output:
# answer of 3 2
# started: [1, 2, 3]
# 2 after the delay: True
# 3 as soon as 2 failed, before the next delay: True
