/**
 * The asyncio / Trio page shows Python beside TypeScript. The Python side is real code too: each
 * file in docs/examples/python is run with `python3` and its printed result compared with the
 * `# → value` (a Python literal, compared with `ast.literal_eval`) or `# Output:` block that the
 * page shows. They need Python 3.11 (asyncio's TaskGroup and timeout); files that need 3.13
 * (`# requires: python 3.13`) or Trio (`# requires: trio`) are skipped, with the reason, where the
 * interpreter cannot run them.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { execFile, spawn } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

// never a synchronous child process in a test: it blocks the worker's event loop, and with it
// vitest's reports to the main process (issue 28)
const execFileAsync = promisify(execFile)

const dir = fileURLToPath(new URL("../examples/python/", import.meta.url))
const files = readdirSync(dir).filter((f) => f.endsWith(".py")).sort()

const succeeds = (args: ReadonlyArray<string>) =>
  execFileAsync("python3", args).then(({ stdout }) => stdout, () => undefined)
const python = await (async () => {
  const version = await succeeds(["-c", "import sys; print(sys.version_info[0] * 100 + sys.version_info[1])"])
  if (version === undefined) return undefined
  const trio = (await succeeds(["-c", "import trio"])) !== undefined
  return { version: Number(version.trim()), trio }
})()

const regionOf = (source: string): Array<string> => {
  const lines = source.split("\n")
  const start = lines.findIndex((l) => l.trim() === "# region example")
  const end = lines.findIndex((l) => l.trim() === "# endregion example")
  return start < 0 || end < start ? [] : lines.slice(start + 1, end)
}

const commentBlock = (region: ReadonlyArray<string>, from: number, first: string) =>
  [first, ...region.slice(from + 1).map((l) => l.replace(/^# ?/, ""))].join("\n")

/** Runs a file as `python3 file.py` would, with Ctrl-C working even if the test runner ignores SIGINT. */
const run = (file: string, interruptAfter?: string) =>
  new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve, reject) => {
    // -u: unbuffered, as in a terminal; with a pipe (and no PYTHONUNBUFFERED) the line the test
    // waits for before Ctrl-C stays in Python's buffer
    const child = spawn("python3", [
      "-u",
      "-c",
      "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); " +
      "runpy.run_path(sys.argv[1], run_name='__main__')",
      file
    ], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    let sent = false
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${file} did not end within 30 s\n${stdout}\n${stderr}`))
    }, 30_000)
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      if (interruptAfter !== undefined && !sent && stdout.includes(interruptAfter)) {
        sent = true
        child.kill("SIGINT")
      }
    })
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ stdout, stderr, code })
    })
  })

describe.concurrent("the Python side of the asyncio / Trio page", () => {
  it("there are Python examples", () => {
    assert.isAtLeast(files.length, 10)
  })

  for (const file of files) {
    const source = readFileSync(dir + file, "utf8")
    const needs313 = /^# requires: python 3\.13/m.test(source)
    const needsTrio = /^# requires: trio/m.test(source)
    const skip = python === undefined
      ? "no python3"
      : python.version < 311 // asyncio.TaskGroup and asyncio.timeout
      ? `needs Python 3.11, this is ${Math.floor(python.version / 100)}.${python.version % 100}`
      : needs313 && python.version < 313
      ? `needs Python 3.13, this is ${Math.floor(python.version / 100)}.${python.version % 100}`
      : needsTrio && !python.trio
      ? "needs trio"
      : undefined

    it.skipIf(skip !== undefined)(`${file} prints what the page says${skip ? ` (skipped: ${skip})` : ""}`, async () => {
      const region = regionOf(source)
      assert.isAbove(region.length, 0, "a `# region example` … `# endregion example` region")
      expect(region.filter((l) => l.length > 80), "lines longer than 80 columns").toStrictEqual([])
      const arrow = region.findIndex((l) => l.startsWith("# → "))
      const output = region.findIndex((l) => l.trim() === "# Output:")
      assert.isTrue(arrow >= 0 || output >= 0, "a `# →` or `# Output:` block states the result")
      if (arrow >= 0) {
        const expected = commentBlock(region, arrow, region[arrow].slice("# → ".length))
        const { code, stderr, stdout } = await run(dir + file)
        assert.strictEqual(code, 0, stderr)
        const same = (await execFileAsync("python3", [
          "-c",
          "import ast, sys; print(ast.literal_eval(sys.argv[1]) == ast.literal_eval(sys.argv[2]))",
          stdout.trim(),
          expected
        ])).stdout.trim()
        assert.strictEqual(same, "True", `printed ${stdout.trim()}\nthe page says ${expected}`)
      } else {
        const expected = region.slice(output + 1).map((l) => l.replace(/^# ?/, "")).join("\n")
        const { code, stderr, stdout } = await run(dir + file, expected.split("\n")[0])
        assert.strictEqual(code, 0, stderr)
        assert.strictEqual(stdout.trimEnd(), expected.trimEnd())
      }
    }, 40_000)
  }
})
