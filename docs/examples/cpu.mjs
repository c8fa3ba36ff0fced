// The module an Offload pool loads in each worker thread (see offload.ts).
export const fib = (n) => (n < 2 ? n : fib(n - 1) + fib(n - 2))
