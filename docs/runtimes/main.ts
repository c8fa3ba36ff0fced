/**
 * The smoke suite as a program: prints one JSON line, each module's result (`bun main.ts`,
 * `deno run main.ts`; Node runs the bundle). Exits 0 either way: the results say what failed.
 */
import { run } from "./smoke.js"

console.log(JSON.stringify(await run()))
