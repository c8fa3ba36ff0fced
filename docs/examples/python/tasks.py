# region example
import asyncio


async def main():
    log = []
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    async def wait_for_future():
        return await future

    async def forever():
        try:
            await asyncio.sleep(3600)
        finally:
            log.append("cleaned up")

    async with asyncio.TaskGroup() as tg:
        waiter = tg.create_task(wait_for_future(), name="waiter")
        waiter.add_done_callback(lambda t: log.append("done: Succeeded"))
        doomed = tg.create_task(forever())
        await asyncio.sleep(0)  # let it start
        doomed.cancel()  # only a request: it has not stopped yet
        try:
            await doomed  # wait for it to finish cancelling
        except asyncio.CancelledError:
            pass
        future.set_result("42")
        answer = await waiter
    return {"answer": answer, "log": log}


print(asyncio.run(main()))
# → {"answer": "42", "log": ["cleaned up", "done: Succeeded"]}
# endregion example
