#!/usr/bin/env node
// Runs the CLI bundle built by `npm run build` (dist/nestreport.cjs, with its V8 code cache).
// bin/dev.js runs the unbundled tsc output instead, with oclif's development flags.
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {loadBundle} from './bundle-loader.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const bundle = fileURLToPath(new URL('../dist/nestreport.cjs', import.meta.url))
if (!existsSync(bundle)) {
  console.error(`nestreport: ${bundle} is missing: build it with \`npm run build\` (npm ci does) in ${root}`)
  process.exit(1)
}
await loadBundle(bundle).exports.main({root, argv: process.argv.slice(2)})
