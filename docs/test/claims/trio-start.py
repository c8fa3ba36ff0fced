# page: guide/asyncio.md
# quote: until it calls `ready` the child runs under the caller's cancellation, as in Trio
# requires: trio
# Trio's nursery.start: until the child calls task_status.started(), it runs in the caller's
# cancel scope (a timeout around start cancels it); after that it belongs to the nursery.
import trio

log = []


async def slow_to_start(task_status=trio.TASK_STATUS_IGNORED):
    try:
        await trio.sleep(1)  # not ready yet
        task_status.started()
    except trio.Cancelled:
        log.append("child cancelled before ready")
        raise


async def quick_to_start(task_status=trio.TASK_STATUS_IGNORED):
    task_status.started("ready")
    await trio.sleep(0.3)
    log.append("child ran on after ready")


async def main():
    async with trio.open_nursery() as nursery:
        with trio.move_on_after(0.1):
            await nursery.start(slow_to_start)
        with trio.move_on_after(0.1):
            log.append(await nursery.start(quick_to_start))
            await trio.sleep(1)  # the caller times out here; the child does not
    print(log)


trio.run(main)
# Output:
# ['child cancelled before ready', 'ready', 'child ran on after ready']
