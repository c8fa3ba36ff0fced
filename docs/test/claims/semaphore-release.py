# page: guide/limiter.md
# quote: adds `n` permits (beyond the capacity for an unbounded semaphore, as asyncio's `Semaphore` does)
# asyncio.Semaphore.release() adds a permit beyond the initial value; BoundedSemaphore refuses.
import asyncio


async def main():
    semaphore = asyncio.Semaphore(1)
    semaphore.release()  # no acquire before: now two permits
    await semaphore.acquire()
    await semaphore.acquire()  # does not wait
    print("Semaphore: two permits after one release beyond its value of 1")
    bounded = asyncio.BoundedSemaphore(1)
    try:
        bounded.release()
    except ValueError as error:
        print(f"BoundedSemaphore: ValueError: {error}")


asyncio.run(main())
# Output:
# Semaphore: two permits after one release beyond its value of 1
# BoundedSemaphore: ValueError: BoundedSemaphore released too many times
