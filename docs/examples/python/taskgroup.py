# region example
import asyncio


async def fetch_price(symbol: str) -> dict:
    await asyncio.sleep(0.2)
    return {"symbol": symbol, "price": len(symbol) * 100}


async def main():
    limit = asyncio.Semaphore(2)  # at most 2 at once: TaskGroup has no limit

    async def limited(symbol: str) -> dict:
        async with limit:
            return await fetch_price(symbol)

    async with asyncio.TaskGroup() as tg:
        tasks = [
            tg.create_task(limited(s), name=s) for s in ["BTC", "ETH", "SOL"]
        ]
    return [task.result() for task in tasks]


print(asyncio.run(main()))
# → [
#     {"symbol": "BTC", "price": 300},
#     {"symbol": "ETH", "price": 300},
#     {"symbol": "SOL", "price": 300},
#   ]
# endregion example
