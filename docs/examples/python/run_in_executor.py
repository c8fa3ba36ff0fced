# region example
import asyncio
from concurrent.futures import ProcessPoolExecutor


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


async def main():
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = await asyncio.gather(
            loop.run_in_executor(pool, fib, 20),
            loop.run_in_executor(pool, fib, 21),
        )
    return {"fib": results}


if __name__ == "__main__":
    print(asyncio.run(main()))
# → {"fib": [6765, 10946]}
# endregion example
