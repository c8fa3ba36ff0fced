# region example
import asyncio


async def main():
    print("serving; Ctrl-C to stop")
    try:
        await asyncio.Event().wait()  # until cancelled
    except asyncio.CancelledError:
        # asyncio.run turned Ctrl-C into a cancellation of main()
        print("draining the requests in flight")
        await asyncio.sleep(0.2)
        print("done")
        raise


try:
    asyncio.run(main())
except KeyboardInterrupt:  # re-raised once main() has been cancelled
    pass
# Output:
# serving; Ctrl-C to stop
# draining the requests in flight
# done
# endregion example
