# page: guide/deadline.md
# quote: Whether the scope was cancelled — by `cancel` or because its deadline passed (as in Trio).
# requires: trio
# Trio's cancel_called is true when the deadline expired, not only after cancel(); the outermost
# cancelled scope catches: an inner scope cancelled with it has cancelled_caught False.
import trio


async def main():
    with trio.move_on_after(0.05) as outer:
        with trio.move_on_after(5) as inner:
            await trio.sleep(1)
    print([outer.cancel_called, outer.cancelled_caught, inner.cancel_called, inner.cancelled_caught])


trio.run(main)
# Output:
# [True, True, False, False]
