# region example
import asyncio


async def main():
    log = []

    async def report():
        log.append(f"{asyncio.current_task().get_name()} started")
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            log.append("cancelled")
            raise
        return "report"

    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(report(), name="report")
        try:
            result = await asyncio.wait_for(task, 0.5)  # cancels it on timeout
        except TimeoutError:
            result = "gave up"
    return {"result": result, "log": log}


print(asyncio.run(main()))
# → {"result": "gave up", "log": ["report started", "cancelled"]}
# endregion example
