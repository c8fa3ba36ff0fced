# requires: python 3.13 (Queue.shutdown)
# region example
import asyncio


async def main():
    queue = asyncio.Queue(10)
    processed, failed = [], []

    async def worker():
        while True:
            try:
                n = await queue.get()
            except asyncio.QueueShutDown:
                return
            try:
                if n == 4:
                    raise ValueError("bad item")
                await asyncio.sleep(0.01)
                processed.append(n)
            except ValueError:
                failed.append(n)
            finally:
                queue.task_done()

    async with asyncio.TaskGroup() as tg:
        for _ in range(3):
            tg.create_task(worker())
        for n in [1, 2, 3, 4, 5, 6]:
            await queue.put(n)
        await queue.join()  # every item put has been marked done
        queue.shutdown()  # the workers finish what is left, then stop
    return {"processed": sorted(processed), "failed": failed}


print(asyncio.run(main()))
# → {"processed": [1, 2, 3, 5, 6], "failed": [4]}
# endregion example
