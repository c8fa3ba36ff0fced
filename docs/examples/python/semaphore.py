# region example
import asyncio


async def main():
    mutex = asyncio.Semaphore(1)
    order = []

    async def worker(id: int):
        for _ in range(2):
            async with mutex:
                order.append(id)
                await asyncio.sleep(0.01)

    async with asyncio.TaskGroup() as tg:
        for id in [1, 2, 3]:
            tg.create_task(worker(id))
    return order


print(asyncio.run(main()))
# → [1, 2, 3, 1, 2, 3]
# endregion example
