import { assert, describe, expect, it } from "@effect/vitest"
import { CancelledError, SuppressedError, TaskGroup, TaskGroupClosedError } from "@taskscope/promise"
import {
  deferred,
  RateLimitError,
  rejection,
  stateOf,
  tick,
  ticks,
  unhandledRejections,
  untilAborted
} from "./helpers.js"

describe("TaskGroup.run", () => {
  it("returns the body's value once every child has ended", async () => {
    const log: Array<string> = []
    const result = await TaskGroup.run(async (group) => {
      group.spawn(async () => {
        await ticks(3)
        log.push("slow child done")
      })
      const fast = group.spawn(async () => 21)
      return (await fast) * 2
    })
    assert.strictEqual(result, 42)
    expect(log).toStrictEqual(["slow child done"])
  })

  it("starts a child at once, like calling an async function", async () => {
    const log: Array<string> = []
    await TaskGroup.run((group) => {
      group.spawn(async () => {
        log.push("child started")
        await tick()
      })
      log.push("after spawn")
    })
    expect(log).toStrictEqual(["child started", "after spawn"])
  })

  it("rethrows the first failure as it was thrown, after aborting the siblings and the body and awaiting their cleanup", async () => {
    const log: Array<string> = []
    const thrown = new RateLimitError(30)
    const error = await rejection(TaskGroup.run(async (group) => {
      group.spawn(async (signal) => {
        try {
          await untilAborted(signal)
        } finally {
          await ticks(2) // asynchronous cleanup
          log.push(`sibling cleaned up (${(signal.reason as Error).name})`)
        }
      })
      group.spawn(async () => {
        await tick()
        throw thrown
      })
      try {
        await untilAborted(group.signal)
      } finally {
        await tick()
        log.push("body cleaned up")
      }
    }))
    assert.strictEqual(error, thrown)
    assert.instanceOf(error, RateLimitError)
    assert.strictEqual((error as RateLimitError).retryAfter, 30)
    assert.sameMembers(log, ["sibling cleaned up (AbortError)", "body cleaned up"])
  })

  it("aborts the body's signal with a CancelledError whose cause is the failure", async () => {
    const thrown = new Error("boom")
    let reason: unknown
    await rejection(TaskGroup.run(async (group) => {
      group.spawn(async () => {
        await tick()
        throw thrown
      })
      await untilAborted(group.signal).catch((e) => (reason = e))
    }))
    assert.instanceOf(reason, CancelledError)
    assert.strictEqual((reason as CancelledError).cause, thrown)
  })

  it("waits for a child that ignores its signal: nothing is left running", async () => {
    const release = deferred()
    let finished = false
    const run = TaskGroup.run(async (group) => {
      group.spawn(async () => {
        await release.promise // never looks at its signal
        finished = true
      })
      group.spawn(async () => {
        throw new Error("boom")
      })
    })
    assert.strictEqual(await stateOf(run), "pending")
    release.resolve()
    await rejection(run)
    assert.isTrue(finished)
  })

  it("keeps every failure: two children failing give an AggregateError in order", async () => {
    const first = new Error("first")
    const second = new Error("second")
    const error = await rejection(TaskGroup.run(async (group) => {
      const gate = deferred()
      group.spawn(async () => {
        await gate.promise
        throw first
      })
      group.spawn(async () => {
        await gate.promise
        throw second
      })
      gate.resolve()
    }))
    assert.instanceOf(error, AggregateError)
    expect((error as AggregateError).errors).toStrictEqual([first, second])
  })

  it("a child that fails while it is being cancelled: a SuppressedError beside the first failure", async () => {
    const failure = new Error("failure")
    const cleanup = new Error("cleanup failed")
    const error = await rejection(TaskGroup.run(async (group) => {
      group.spawn(async (signal) => {
        await untilAborted(signal).catch(() => {})
        throw cleanup
      })
      group.spawn(async () => {
        await tick()
        throw failure
      })
    }))
    assert.instanceOf(error, SuppressedError)
    assert.strictEqual((error as SuppressedError).error, cleanup)
    assert.strictEqual((error as SuppressedError).suppressed, failure)
  })

  it("a parent signal aborts every child with its reason, and run rejects with it", async () => {
    const controller = new AbortController()
    const reasons: Array<unknown> = []
    const run = TaskGroup.run(async (group) => {
      for (let i = 0; i < 3; i++) {
        group.spawn(async (signal) => {
          await untilAborted(signal).catch((e) => reasons.push(e))
        })
      }
      await untilAborted(group.signal)
    }, { signal: controller.signal })
    await tick()
    const reason = new Error("user went away")
    controller.abort(reason)
    assert.strictEqual(await rejection(run), reason)
    expect(reasons).toStrictEqual([reason, reason, reason])
  })

  it("an already aborted signal rejects at once; the body never runs", async () => {
    const controller = new AbortController()
    controller.abort("gone")
    let ran = false
    const error = await rejection(TaskGroup.run(() => {
      ran = true
    }, { signal: controller.signal }))
    assert.strictEqual(error, "gone")
    assert.isFalse(ran)
  })

  it("spawning into a group that is being cancelled gives a cancelled task (Trio); fn never runs", async () => {
    let ran = false
    let late: PromiseLike<unknown> | undefined
    await rejection(TaskGroup.run(async (group) => {
      group.spawn(async () => {
        throw new Error("boom")
      })
      await untilAborted(group.signal).catch(() => {})
      const task = group.spawn(async () => {
        ran = true
      })
      late = task
      assert.strictEqual(task.state, "cancelled")
    }))
    assert.isFalse(ran)
    assert.instanceOf(await rejection(late!), CancelledError)
  })

  it("spawning into a closed group throws TaskGroupClosedError", async () => {
    const escaped = await TaskGroup.run((group) => group)
    assert.throws(() => escaped.spawn(async () => 1), TaskGroupClosedError)
  })

  it("group.cancel aborts everything and is absorbed: run resolves with the body's value", async () => {
    const reasons: Array<unknown> = []
    const result = await TaskGroup.run(async (group) => {
      group.spawn(async (signal) => {
        await untilAborted(signal).catch((e) => reasons.push(e))
      })
      await tick()
      group.cancel()
      return "stopped"
    })
    assert.strictEqual(result, "stopped")
    assert.strictEqual(reasons.length, 1)
    assert.instanceOf(reasons[0], CancelledError)
  })

  it("a task waiting for a slot is queued, then running, then succeeded: the core's one vocabulary", async () => {
    const states: Array<string> = []
    await TaskGroup.run(async (group) => {
      const release = deferred<void>()
      const releaseSecond = deferred<void>()
      const first = group.spawn(() => release.promise)
      const second = group.spawn(() => releaseSecond.promise)
      states.push(first.state, second.state)
      release.resolve()
      await first
      await ticks(2)
      states.push(second.state)
      releaseSecond.resolve()
      await second
      states.push(second.state)
      assert.isTrue(second.done)
    }, { concurrency: 1 })
    expect(states).toStrictEqual(["running", "queued", "running", "succeeded"])
  })

  it("awaiting a cancelled task rejects with CancelledError; task.cancel waits for its cleanup", async () => {
    const log: Array<string> = []
    await TaskGroup.run(async (group) => {
      const task = group.spawn(async (signal) => {
        try {
          await untilAborted(signal)
        } finally {
          await ticks(2)
          log.push("cleaned up")
        }
      }, { name: "worker" })
      assert.strictEqual(task.name, "worker")
      assert.strictEqual(task.state, "running")
      await task.cancel()
      expect(log).toStrictEqual(["cleaned up"])
      assert.strictEqual(task.state, "cancelled")
      assert.instanceOf(await rejection(task), CancelledError)
    })
  })

  it("concurrency: at most n children run at once, the rest wait in order", async () => {
    let running = 0
    let peak = 0
    const order: Array<number> = []
    await TaskGroup.run((group) => {
      for (let i = 0; i < 10; i++) {
        group.spawn(async () => {
          running++
          peak = Math.max(peak, running)
          order.push(i)
          await ticks(2)
          running--
        })
      }
      assert.strictEqual(group.stats.queued, 7)
    }, { concurrency: 3 })
    assert.strictEqual(peak, 3)
    expect(order).toStrictEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it("start resolves with the value passed to ready; the child goes on in the group", async () => {
    const log: Array<string> = []
    const result = await TaskGroup.run(async (group) => {
      const port = await group.start<number>(async (_signal, ready) => {
        ready(8080)
        await ticks(2)
        log.push("server stopped")
      })
      log.push(`listening on ${port}`)
      return port
    })
    assert.strictEqual(result, 8080)
    expect(log).toStrictEqual(["listening on 8080", "server stopped"])
  })

  it("no promise left pending and no unhandled rejection when children fail unobserved", async () => {
    const tasks: Array<PromiseLike<unknown>> = []
    const seen = await unhandledRejections(async () => {
      const run = TaskGroup.run(async (group) => {
        for (let i = 0; i < 5; i++) {
          tasks.push(group.spawn(async (signal) => {
            if (i === 2) throw new Error(`child ${i}`)
            await untilAborted(signal)
          }))
        }
        await untilAborted(group.signal)
      })
      await rejection(run)
    })
    expect(seen).toStrictEqual([])
    for (const task of tasks) assert.strictEqual(await stateOf(task), "rejected")
  })

  it("a synchronous throw in a child is a failure like any other", async () => {
    const thrown = new TypeError("bad")
    const error = await rejection(TaskGroup.run((group) => {
      group.spawn(() => {
        throw thrown
      })
    }))
    assert.strictEqual(error, thrown)
  })

  it("rejects a body or child that is not a function with a clear message", async () => {
    assert.match(String(await rejection(TaskGroup.run(42 as any))), /TaskGroup.run: Expected a function/)
    await TaskGroup.run((group) => {
      assert.throws(() => group.spawn("fetch" as any), /TaskGroup.spawn: Expected a function/)
    })
  })
})

describe("TaskGroup.open (await using)", () => {
  it("waits for every child when the block ends", async () => {
    const log: Array<string> = []
    {
      await using group = TaskGroup.open()
      group.spawn(async () => {
        await ticks(2)
        log.push("child done")
      })
      log.push("block done")
    }
    expect(log).toStrictEqual(["block done", "child done"])
  })

  it("throws the first failure as thrown at the end of the block, after aborting the siblings and the block's signal", async () => {
    const thrown = new RateLimitError(5)
    const log: Array<string> = []
    const error = await rejection((async () => {
      await using group = TaskGroup.open({ name: "block" })
      group.spawn(async (signal) => {
        await untilAborted(signal).catch(() => log.push("sibling aborted"))
      })
      group.spawn(async () => {
        await tick()
        throw thrown
      })
      await untilAborted(group.signal).catch(() => log.push("block aborted"))
    })())
    assert.strictEqual(error, thrown)
    assert.sameMembers(log, ["sibling aborted", "block aborted"])
  })

  it("a parent signal aborts the children; close rejects with its reason", async () => {
    const controller = new AbortController()
    const group = TaskGroup.open({ signal: controller.signal })
    const aborted: Array<unknown> = []
    group.spawn(async (signal) => {
      await untilAborted(signal).catch((e) => aborted.push(e))
    })
    controller.abort("stop")
    assert.strictEqual(await rejection(group.close()), "stop")
    expect(aborted).toStrictEqual(["stop"])
    assert.isTrue(group.signal.aborted)
  })

  it("close twice gives the same promise", async () => {
    const group = TaskGroup.open()
    group.spawn(() => 1)
    const a = group.close()
    assert.strictEqual(group.close(), a)
    await a
  })
})
