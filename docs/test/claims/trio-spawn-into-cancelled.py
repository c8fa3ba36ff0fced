# page: guide/from-async-await.md
# quote: into a group that is being cancelled, a task already cancelled (as in Trio)
# requires: trio
# start_soon into a nursery whose scope is cancelled still starts the task, which is cancelled at
# its first checkpoint.
import trio

log = []


async def late():
    log.append("late child started")
    try:
        await trio.sleep(1)
        log.append("never")
    except trio.Cancelled:
        log.append("late child cancelled at its first checkpoint")
        raise


async def main():
    async with trio.open_nursery() as nursery:
        nursery.cancel_scope.cancel()
        nursery.start_soon(late)
    print(log)


trio.run(main)
# Output:
# ['late child started', 'late child cancelled at its first checkpoint']
