# region example
import asyncio

budgets = []


async def call_server():
    # asyncio has no "budget left" that reaches into called code: pass it on
    budgets.append("not available")
    await asyncio.sleep(10)


async def main():
    try:
        async with asyncio.timeout(0.2):
            async with asyncio.TaskGroup() as tg:
                tg.create_task(call_server())
        timed_out = "finished"
    except TimeoutError:
        timed_out = "timed out after 0.2s"
    # Trio's move_on_after: catch the timeout and move on
    moved_on = True
    try:
        async with asyncio.timeout(0.1):
            await asyncio.sleep(5)
            moved_on = False
    except TimeoutError:
        pass
    return {"timed_out": timed_out, "budgets": budgets, "moved_on": moved_on}


print(asyncio.run(main()))
# → {
#     "timed_out": "timed out after 0.2s",
#     "budgets": ["not available"],
#     "moved_on": True,
#   }
# endregion example
