import { format, NodeInspectSymbol } from "effect/Inspectable"
import { pipeArguments } from "effect/Pipeable"

/**
 * The readable-and-pipeable boilerplate of every data type: `toString` and Node's inspect show
 * `toJSON()`, and `pipe` works as on Effect's own types.
 * @internal
 */
export abstract class Base {
  abstract toJSON(): unknown

  toString(): string {
    return format(this.toJSON())
  }

  [NodeInspectSymbol](): unknown {
    return this.toJSON()
  }

  pipe() {
    return pipeArguments(this, arguments)
  }
}
