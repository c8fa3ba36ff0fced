# page: guide/asyncio.md
# quote: Same as Trio: until `ready` the child belongs to the caller — cancelled with it (and a `ready` after that does nothing), its failure out of `start` only, not the group's; `ready` twice is a defect (Trio: `RuntimeError`).
# requires: trio
# Trio's nursery.start: until the child calls task_status.started(), it runs in the caller's
# cancel scope (a timeout around start cancels it; started() after the caller's scope was
# cancelled does nothing); a failure before started() comes out of start() and the nursery goes
# on; started() twice is a RuntimeError; after started() the child belongs to the nursery.
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


async def fails_before_ready(task_status=trio.TASK_STATUS_IGNORED):
    await trio.sleep(0.01)
    raise ValueError("boom before ready")


async def ready_after_cancel(task_status=trio.TASK_STATUS_IGNORED):
    try:
        task_status.started("too late")  # the caller's scope is cancelled: nothing happens
        await trio.sleep(1)
        log.append("never")
    except trio.Cancelled:
        log.append("ready did nothing; child cancelled with the caller")
        raise


async def ready_twice(task_status=trio.TASK_STATUS_IGNORED):
    task_status.started(1)
    try:
        task_status.started(2)
    except RuntimeError:
        log.append("ready twice: RuntimeError")


async def main():
    async with trio.open_nursery() as nursery:
        with trio.move_on_after(0.1):
            await nursery.start(slow_to_start)
        with trio.move_on_after(0.1):
            log.append(await nursery.start(quick_to_start))
            await trio.sleep(1)  # the caller times out here; the child does not
        try:
            await nursery.start(fails_before_ready)
        except ValueError as e:
            log.append(f"start raised {e}; the nursery goes on")
        with trio.CancelScope() as scope:
            scope.cancel()
            await nursery.start(ready_after_cancel)
        await nursery.start(ready_twice)
    print(log)


trio.run(main)
# Output:
# ['child cancelled before ready', 'ready', 'start raised boom before ready; the nursery goes on', 'ready did nothing; child cancelled with the caller', 'ready twice: RuntimeError', 'child ran on after ready']
