// Placeholder for root scripts whose feature has not landed yet: says so plainly and exits 0.
const [, , name, message] = process.argv
process.stdout.write(`pnpm ${name}: ${message}\n`)
