# page: guide/deadline.md
# quote: like Trio's `CancelScope` or asyncio's `Timeout`: read the deadline, move it, cancel the scope explicitly, and ask afterwards whether it expired.
# requires: trio
# Trio's CancelScope and asyncio's Timeout are handles on a deadline: read it, move it, cancel
# (Trio), and ask afterwards whether it fired.
import asyncio
import trio


async def with_trio():
    with trio.move_on_after(1) as scope:
        before = scope.deadline - trio.current_time()
        scope.deadline += 1  # move it later
        after = scope.deadline - trio.current_time()
        scope.cancel()  # cancel explicitly
        await trio.sleep(0)
    return [round(before, 1), round(after, 1), scope.cancel_called, scope.cancelled_caught]


async def with_asyncio():
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(10) as timeout:
            before = timeout.when() - loop.time()
            timeout.reschedule(loop.time() + 0.05)  # move it earlier
            await asyncio.sleep(1)
    except TimeoutError:
        pass
    return [round(before), timeout.expired()]


print("Trio CancelScope:", trio.run(with_trio))
print("asyncio Timeout:", asyncio.run(with_asyncio()))
# Output:
# Trio CancelScope: [1.0, 2.0, True, True]
# asyncio Timeout: [10, True]
