# requires: trio
# region example
import trio

log = []


async def commit():
    await trio.sleep(0.5)
    log.append("committed")


async def main():
    with trio.move_on_after(1) as scope:
        await trio.sleep(0.8)  # work
        with trio.CancelScope(shield=True) as shielded:
            shielded.deadline = trio.current_time() + 5  # its own bound
            await commit()
        log.append("more work")  # runs: Trio cancels at the next checkpoint
        await trio.sleep(1)  # ...which is here
    if scope.cancelled_caught:
        log.append("timed out")
    return log


print(trio.run(main))
# → ["committed", "more work", "timed out"]
# endregion example
