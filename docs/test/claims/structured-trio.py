# page: guide/concepts.md
# quote: as in Trio, whose nursery this rule comes from
# requires: trio
# A Trio nursery does not exit before every child has ended, and a child's failure cancels its
# siblings, whose cleanup runs before the error reaches the caller.
import trio

log = []


async def fails():
    await trio.sleep(0.1)
    raise ValueError("a failed")


async def sibling():
    try:
        await trio.sleep(10)
    finally:
        log.append("b cleaned up")


async def main():
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(fails)
            nursery.start_soon(sibling)
    except ValueError as error:  # (a MultiError of one is the error itself in trio 0.22)
        log.append(f"caller sees: {error}")
    except BaseException as group:  # trio >= 0.25: an ExceptionGroup
        log.append(f"caller sees: {group.exceptions[0]}")
    print(log)


trio.run(main)
# Output:
# ['b cleaned up', 'caller sees: a failed']
