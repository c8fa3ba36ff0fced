# page: guide/task-group.md
# quote: best typed `void` (children report through a `Ref`, a queue or their handles), as in Trio.
# requires: trio
# A Trio nursery block has no value of its own: a body stopped by the cancel scope before it
# finished leaves nothing behind but what its children put somewhere shared.
import trio


async def main():
    results = {}

    async def fetch(name, seconds):
        await trio.sleep(seconds)
        results[name] = f"{name} done"

    returned = "unset"
    async with trio.open_nursery() as nursery:
        nursery.start_soon(fetch, "fast", 0.1)
        nursery.start_soon(fetch, "slow", 5)
        await trio.sleep(0.2)
        nursery.cancel_scope.cancel()
        await trio.sleep(0)  # the body is cancelled here
        returned = "the body's value"  # never reached
    print({"body": returned, "reported": results})


trio.run(main)
# Output:
# {'body': 'unset', 'reported': {'fast': 'fast done'}}
