import { connect, createServer } from "node:net"

/** A free loopback port to listen on (the kernel's pick; it may hand the same one out again once closed). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

/**
 * A port nobody listens on, and nobody will: below the kernel's ephemeral range (32768–60999
 * here), so no `listen(0)` — another test's server, a redis-server on a `freePort` — is handed it,
 * and checked to refuse a connection. (A closed `listen(0)` port came back to the next `listen(0)`
 * about once in 2,000 here: a test's "Redis not there" then found the test's own Redis.)
 */
export const deadPort = async (): Promise<number> => {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1")
      socket.once("connect", () => {
        socket.destroy()
        resolve(false)
      })
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"))
    })
    if (refused) return port
  }
}
