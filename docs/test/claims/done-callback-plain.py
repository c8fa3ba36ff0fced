# page: ../examples/src/done-callback.ts
# quote: a done callback is a plain function, as in asyncio
# add_done_callback takes a plain function, called with the finished task once it ends (a
# coroutine function would only make a coroutine that never runs).
import asyncio
import warnings


async def job():
    await asyncio.sleep(0.1)
    return 42


async def main():
    seen = []
    task = asyncio.create_task(job())
    task.add_done_callback(lambda t: seen.append(("plain function", t.result())))

    async def coroutine_callback(t):
        seen.append("never")

    other = asyncio.create_task(job())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        other.add_done_callback(coroutine_callback)
        await asyncio.gather(task, other)
        await asyncio.sleep(0.1)
    print(seen)


asyncio.run(main())
# Output:
# [('plain function', 42)]
