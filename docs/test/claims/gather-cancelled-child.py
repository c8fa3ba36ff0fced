# page: ../packages/core/src/Concurrent.ts
# quote: a cancelled child cancels the gather, as in asyncio.
# A child of asyncio.gather that is cancelled makes the gather raise CancelledError in its caller.
# (asyncio leaves the other children running; Concurrent.gather cancels them, as on any failure.)
import asyncio


async def job(seconds):
    await asyncio.sleep(seconds)
    return seconds


async def main():
    cancelled = asyncio.create_task(job(1))
    other = asyncio.create_task(job(0.3))
    gathered = asyncio.gather(cancelled, other)
    await asyncio.sleep(0.1)
    cancelled.cancel()
    try:
        await gathered
        print("gather returned")
    except asyncio.CancelledError:
        print(f"gather raised CancelledError; the other child was left running: {not other.done()}")


asyncio.run(main())
# Output:
# gather raised CancelledError; the other child was left running: True
