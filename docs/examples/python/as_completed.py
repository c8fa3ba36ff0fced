# region example
import asyncio


async def download(name: str, seconds: float) -> str:
    await asyncio.sleep(seconds)
    return name


async def main():
    downloads = [download("big.iso", 0.3), download("small.txt", 0.1),
                 download("mid.zip", 0.2)]
    return [await next_done for next_done in asyncio.as_completed(downloads)]


print(asyncio.run(main()))
# → ["small.txt", "mid.zip", "big.iso"]
# endregion example
