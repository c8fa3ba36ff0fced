# page: guide/asyncio.md
# quote: Same as Trio — the group runs in a cancel scope of its own: the body and every child are cancelled, the scope exits, and the cancellation is absorbed by that scope alone (the caller goes on).
# page: ../packages/core/src/TaskGroup.ts
# quote: `group.cancel` is absorbed as Trio's nursery absorbs its cancel scope: the scope simply exits.
# requires: trio
# nursery.cancel_scope.cancel(): every child and the body are cancelled at their next checkpoint,
# the nursery exits without an error, and the code after it runs.
import trio

log = []


async def child(name):
    try:
        await trio.sleep(10)
    finally:
        log.append(f"{name} cleaned up")


async def main():
    async with trio.open_nursery() as nursery:
        nursery.start_soon(child, "a")
        nursery.start_soon(child, "b")
        await trio.sleep(0.1)
        nursery.cancel_scope.cancel()
        log.append("body goes on to its next checkpoint")
        await trio.sleep(1)
        log.append("never")
    log.append(f"after the nursery: cancelled_caught={nursery.cancel_scope.cancelled_caught}")
    # (Trio runs the two children's cleanups in either order)
    print([log[0], sorted(log[1:3]), log[3]])


trio.run(main)
# Output:
# ['body goes on to its next checkpoint', ['a cleaned up', 'b cleaned up'], 'after the nursery: cancelled_caught=True']
