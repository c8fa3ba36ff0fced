# page: guide/deadline.md
# quote: Trio's `fail_after(0)` does the same, and Trio rejects a negative timeout with `ValueError`
# page: guide/asyncio.md
# quote: Trio's `fail_after(0)` does the same; a negative timeout is a `ValueError` in Trio
# requires: trio
# Trio: a zero timeout cancels at the first checkpoint; a negative one is refused.
import trio


async def main():
    log = []
    try:
        with trio.fail_after(0):
            log.append("before the first checkpoint")
            await trio.sleep(0)
            log.append("after it")
    except trio.TooSlowError:
        log.append("TooSlowError")
    print("fail_after(0):", log)
    try:
        with trio.fail_after(-1):
            await trio.sleep(0)
    except ValueError as error:
        print(f"fail_after(-1): ValueError: {error}")
    try:
        with trio.move_on_after(-1):
            await trio.sleep(0)
    except ValueError as error:
        print(f"move_on_after(-1): ValueError: {error}")


trio.run(main)
# Output:
# fail_after(0): ['before the first checkpoint', 'TooSlowError']
# fail_after(-1): ValueError: timeout must be non-negative
# move_on_after(-1): ValueError: timeout must be non-negative
