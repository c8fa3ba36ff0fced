/**
 * The prices file, through @effect/platform's FileSystem: JSON lines, each
 * written whole or not at all. A write that fails or is cut short (a full
 * disk, a file-size limit, /dev/full) is a `WriteError`, and the file is cut
 * back to its last whole line, so it never keeps a torn line.
 */
import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"

/** `cannot write prices.jsonl: no space left on the device` */
export class WriteError
  extends Data.TaggedError("WriteError")<{ readonly message: string }>
{}

const reasons: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EFBIG: "the file is larger than this process may write (file-size limit)",
  EDQUOT: "disk quota exceeded",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOENT: "no such directory",
  EISDIR: "it is a directory",
  EROFS: "read-only file system"
}

const codeOf = (e: PlatformError.PlatformError) =>
  (e as { readonly cause?: { readonly code?: string } }).cause?.code

/** Opens `path` for the run (a new file, or appended to) for the scope. */
export const open = (path: string, options: { readonly append: boolean }) =>
  Effect.gen(function*() {
    const fail = (e: PlatformError.PlatformError) =>
      new WriteError({
        message: `cannot write ${path}: ${
          reasons[codeOf(e) ?? ""] ?? e.message
        }`
      })
    const fs = yield* FileSystem.FileSystem
    const file = yield* Effect.mapError(
      fs.open(path, { flag: options.append ? "a" : "w" }),
      fail
    )
    const info = yield* Effect.mapError(file.stat, fail)
    // where the last whole line ends (a device has no end)
    const end = yield* Ref.make(
      info.type === "File" ? info.size : FileSystem.Size(0)
    )
    // #region append
    const append = (line: string) => {
      const bytes = new TextEncoder().encode(line + "\n")
      return file.writeAll(bytes).pipe(
        Effect.zipRight(
          Ref.update(end, (at) => FileSystem.Size(at + BigInt(bytes.length)))
        ),
        // a line cut short (a full disk, a file-size limit) is cut back off
        Effect.tapError(() =>
          Effect.flatMap(Ref.get(end), (at) => Effect.ignore(file.truncate(at)))
        ),
        Effect.mapError(fail)
      )
    }
    // #endregion append
    // a device (/dev/full, /dev/null) cannot be synced: no write was lost
    const sync = file.sync.pipe(
      Effect.catchIf((e) => codeOf(e) === "EINVAL", () => Effect.void),
      Effect.mapError(fail)
    )
    return { append, sync }
  })
