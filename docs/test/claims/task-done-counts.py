# page: guide/work-queue.md
# quote: counts, as asyncio does
# asyncio's task_done() is a counter: it is not tied to the item a consumer took (any call marks
# one unfinished item done), and one call too many is a ValueError.
import asyncio


async def main():
    queue = asyncio.Queue()
    queue.put_nowait("a")
    queue.put_nowait("b")
    first = queue.get_nowait()  # "a" is taken; "b" waits, not taken by anyone
    queue.task_done()
    queue.task_done()  # counts "b" done although nobody took it
    await asyncio.wait_for(queue.join(), 1)  # join returns: nothing unfinished
    print(f"took {first}, marked two done, join returned with {queue.qsize()} still queued")
    try:
        queue.task_done()
    except ValueError as error:
        print(f"ValueError: {error}")


asyncio.run(main())
# Output:
# took a, marked two done, join returned with 1 still queued
# ValueError: task_done() called too many times
