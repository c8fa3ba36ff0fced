# region example
import asyncio


async def main():
    fast = asyncio.create_task(asyncio.sleep(0.1), name="fast")
    slow = asyncio.create_task(asyncio.sleep(5), name="slow")
    done, pending = await asyncio.wait(
        [fast, slow], return_when=asyncio.FIRST_COMPLETED
    )
    for task in pending:
        task.cancel()
    return {
        "done": [t.get_name() for t in done],
        "pending": [t.get_name() for t in pending],
    }


print(asyncio.run(main()))
# → {"done": ["fast"], "pending": ["slow"]}
# endregion example
