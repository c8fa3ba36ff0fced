# page: guide/deadline.md
# quote: A zero or negative duration times out at the effect's first suspension, as in asyncio
# page: guide/asyncio.md
# quote: zero or negative ones time out at the first suspension, as in asyncio
# asyncio.timeout(0) and asyncio.timeout(-1): the code before the first suspension runs, the first
# await is cancelled, and TimeoutError comes out; a body that never suspends completes.
import asyncio


async def run(delay):
    log = []
    try:
        async with asyncio.timeout(delay):
            log.append("before the first suspension")
            await asyncio.sleep(0)
            log.append("after it")
    except TimeoutError:
        log.append("TimeoutError")
    return log


async def never_suspends(delay):
    async with asyncio.timeout(delay):
        return "completed"


async def main():
    print("timeout(0):", await run(0))
    print("timeout(-1):", await run(-1))
    print("timeout(-1), no suspension:", await never_suspends(-1))


asyncio.run(main())
# Output:
# timeout(0): ['before the first suspension', 'TimeoutError']
# timeout(-1): ['before the first suspension', 'TimeoutError']
# timeout(-1), no suspension: completed
