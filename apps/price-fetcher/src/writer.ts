/**
 * The prices file: JSON lines, each written whole or not at all. A write that
 * fails or is cut short (a full disk, a file-size limit, /dev/full) is a
 * `WriteError`, and the file is cut back to its last whole line, so it never
 * keeps a torn line and `lines` counts exactly what is in it.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  writeSync
} from "node:fs"

export class WriteError extends Data.TaggedError("WriteError")<
  { readonly file: string; readonly detail: string }
> {
  override get message() {
    return `cannot write ${this.file}: ${this.detail}`
  }
}

export interface PricesFile {
  /** Appends one line (a newline is added); fails with `WriteError`, leaving the file as it was. */
  readonly append: (line: string) => Effect.Effect<void, WriteError>
  /** Makes what was written durable (fsync). */
  readonly sync: Effect.Effect<void, WriteError>
  /** Whole lines written by this run. */
  readonly lines: () => number
}

const describe = (e: unknown): string => {
  const error = e as NodeJS.ErrnoException
  switch (error.code) {
    case "ENOSPC":
      return "no space left on the device"
    case "EFBIG":
      return "the file is larger than this process may write (file-size limit)"
    case "EDQUOT":
      return "disk quota exceeded"
    case "EACCES":
    case "EPERM":
      return "permission denied"
    case "ENOENT":
      return "no such directory"
    case "EISDIR":
      return "it is a directory"
    case "EROFS":
      return "read-only file system"
    default:
      return error.code === undefined
        ? String(e)
        : `${error.code}: ${error.message}`
  }
}

/**
 * Opens `path` for this run (a new file, or appended to with `append`); closes
 * it with the scope. Fails at once if the file cannot be opened.
 */
export const open = (
  path: string,
  options: { readonly append: boolean }
): Effect.Effect<PricesFile, WriteError, Scope.Scope> =>
  Effect.gen(function*() {
    const fail = (e: unknown) =>
      new WriteError({ file: path, detail: describe(e) })
    const fd = yield* Effect.acquireRelease(
      Effect.try({
        try: () => openSync(path, options.append ? "a" : "w"),
        catch: fail
      }),
      (fd) => Effect.sync(() => closeSync(fd))
    )
    // where the last whole line ends: a failed write is cut back to here
    let end = yield* Effect.try({
      try: () => (fstatSync(fd).isFile() ? fstatSync(fd).size : 0),
      catch: fail
    })
    let lines = 0
    let broken: WriteError | undefined
    // #region append
    const append = (line: string) =>
      Effect.suspend(() => {
        if (broken !== undefined) return Effect.fail(broken)
        const bytes = Buffer.from(line + "\n")
        let written = 0
        try {
          // a short write is retried for the rest; the next write then says why
          // (ENOSPC, EFBIG...)
          while (written < bytes.length) {
            const n = writeSync(fd, bytes, written, bytes.length - written)
            if (n <= 0) {
              throw Object.assign(new Error("short write"), { code: "EIO" })
            }
            written += n
          }
        } catch (e) {
          if (written > 0) {
            try {
              ftruncateSync(fd, end)
            } catch {
              // not a regular file (e.g. a device): there is nothing to cut
              // back
            }
          }
          broken = fail(e)
          return Effect.fail(broken)
        }
        end += written
        lines++
        return Effect.void
      })
    // #endregion append
    const sync = Effect.try({
      try: () => {
        try {
          fsyncSync(fd)
        } catch (e) {
          // devices and pipes cannot be synced; that is not a lost write
          if (
            (e as NodeJS.ErrnoException).code !== "EINVAL" &&
            (e as NodeJS.ErrnoException).code !== "ENOTSUP"
          ) {
            throw e
          }
        }
      },
      catch: fail
    })
    return { append, sync, lines: () => lines }
  })
