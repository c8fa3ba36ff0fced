# page: guide/asyncio.md
# quote: as asyncio 3.13 raises them instead of `CancelledError`
# page: guide/concepts.md
# quote: never dropped, as asyncio 3.13 raises them instead of `CancelledError`
# A child whose cleanup fails while a TaskGroup is cancelled — by a timeout around it, or by the
# cancellation of the task that owns it: asyncio raises the failure (an ExceptionGroup), not a
# bare TimeoutError or CancelledError. (Python 3.11 and 3.12 behave the same in these two cases;
# 3.13 also hands the outer cancellation on when both happen at once.)
import asyncio


async def child():
    try:
        await asyncio.sleep(10)
    finally:
        raise ValueError("cleanup failed")


async def timed_out():
    try:
        async with asyncio.timeout(0.1):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(child())
    except TimeoutError:
        return "TimeoutError: the failure was lost"
    except BaseExceptionGroup as group:
        return [str(e) for e in group.exceptions]


async def owner():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(child())
        await asyncio.sleep(10)


async def cancelled():
    task = asyncio.create_task(owner())
    await asyncio.sleep(0.1)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        return "CancelledError: the failure was lost"
    except BaseExceptionGroup as group:
        return [str(e) for e in group.exceptions]


async def main():
    print("under a timeout:", await timed_out())
    print("owner cancelled:", await cancelled())


asyncio.run(main())
# Output:
# under a timeout: ['cleanup failed']
# owner cancelled: ['cleanup failed']
