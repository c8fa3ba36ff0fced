// The CPU-bound functions of cpu-bound.ts, loaded by each worker thread of the Offload pool.
export const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2))
