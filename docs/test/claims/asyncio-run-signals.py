# page: guide/asyncio.md
# quote: asyncio.run cancels `main` at the first SIGINT (Ctrl-C) only; a SIGTERM kills the process at once, without running its cleanup
# signal: SIGTERM after: serving
# exit: SIGTERM
# asyncio.run installs a handler for SIGINT only: SIGTERM keeps its default action, which ends the
# process at once — no cancellation of main(), no finally. (run.py on the same page shows SIGINT.)
import asyncio


async def main():
    print("serving")
    try:
        await asyncio.Event().wait()
    finally:
        print("cleanup ran")


asyncio.run(main())
# Output:
# serving
