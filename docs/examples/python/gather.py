# region example
import asyncio


async def lookup(id: int) -> str:
    if id == 3:
        raise LookupError(f"user {id} not found")
    return f"user {id}"


async def main():
    users = await asyncio.gather(*(lookup(i) for i in [1, 2]))
    outcomes = await asyncio.gather(
        *(lookup(i) for i in [1, 2, 3]), return_exceptions=True
    )
    tags = [
        "Failed" if isinstance(o, Exception) else "Succeeded" for o in outcomes
    ]
    return {"users": users, "outcomes": tags}


print(asyncio.run(main()))
# → {
#     "users": ["user 1", "user 2"],
#     "outcomes": ["Succeeded", "Succeeded", "Failed"],
#   }
# endregion example
