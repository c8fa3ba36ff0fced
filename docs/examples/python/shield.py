# region example
import asyncio


async def main():
    log = []

    async def save_draft():
        await asyncio.sleep(0.2)
        log.append("draft saved")

    # keep a reference: a task nobody holds may be garbage collected
    save = asyncio.create_task(save_draft())
    try:
        await asyncio.wait_for(asyncio.shield(save), 0.05)
        log.append("responded 200")
    except TimeoutError:
        log.append("responded 202 at 50 ms")
    await save  # nothing waits for the shielded task unless you do
    return log


print(asyncio.run(main()))
# → ["responded 202 at 50 ms", "draft saved"]
# endregion example
