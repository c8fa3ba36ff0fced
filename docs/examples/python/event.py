# region example
import asyncio


async def main():
    ready = asyncio.Event()
    log = []

    async def worker():
        await ready.wait()
        log.append("worker started")

    async with asyncio.TaskGroup() as tg:
        tg.create_task(worker())
        await asyncio.sleep(0.1)
        log.append("initialised")
        ready.set()
    return log


print(asyncio.run(main()))
# → ["initialised", "worker started"]
# endregion example
