# region example
import asyncio


class PaymentDeclined(Exception):
    pass


cleanup = []


async def send_email():
    try:
        await asyncio.sleep(3600)
    finally:
        cleanup.append("email cancelled")


async def charge():
    await asyncio.sleep(0.1)
    raise PaymentDeclined("card expired")


async def main():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(send_email())
            tg.create_task(charge())
        result = "paid"
    except* PaymentDeclined as group:  # an ExceptionGroup, untyped
        result = str(group.exceptions[0])
    return {"result": result, "cleanup": cleanup}


print(asyncio.run(main()))
# → {"result": "card expired", "cleanup": ["email cancelled"]}
# endregion example
