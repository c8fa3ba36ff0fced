# page: guide/executor.md
# quote: by default lowest first, as in asyncio's `PriorityQueue` and Bottleneck
# page: ../packages/core/src/Executor.ts
# quote: lower runs first by default (as asyncio's `PriorityQueue` and Bottleneck)
# asyncio's PriorityQueue hands out the lowest priority first (FIFO among equals when the entries
# carry an insertion counter, as the docs recommend).
import asyncio


async def main():
    queue = asyncio.PriorityQueue()
    for counter, (priority, name) in enumerate([(5, "e"), (1, "a"), (3, "c"), (1, "b")]):
        queue.put_nowait((priority, counter, name))
    print([queue.get_nowait()[2] for _ in range(4)])


asyncio.run(main())
# Output:
# ['a', 'b', 'c', 'e']
