// Runs the benchmarks in bench/ (`npm run bench`, which builds first; `npm run bench -- collect`
// runs only the named ones). A bench module exports `run()` (async, prints its own figures); a
// module without `run` is treated as a script whose import is the run.
import {readdirSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))
const only = process.argv.slice(2)
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.js') && f !== 'run.js')
  .sort()
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.js$/, '')))

let failed = false
for (const file of modules) {
  console.log(`== ${file.replace(/\.js$/, '')}`)
  try {
    const mod = await import(new URL(file, import.meta.url).href)
    if (typeof mod.run === 'function') await mod.run()
  } catch (error) {
    failed = true
    console.error(`bench ${file} failed: ${error instanceof Error ? error.message : String(error)}`)
  }
  console.log()
}
if (failed) process.exitCode = 1
