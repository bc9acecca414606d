#!/bin/sh
":" //; unset NODE_EXTRA_CA_CERTS; exec node "$0" "$@"
// The two lines above are read by sh when this file runs as a program (the npm bin link,
// ./bin/run.js): they start node on this same file without NODE_EXTRA_CA_CERTS, which Node 20
// parses (with OpenSSL 3, slowly: nodejs/node#40524) at every start, before any of our code runs:
// 60 ms on a machine that points it at the system CA bundle, a fifth of a whole collect.
// nestreport opens no network connection, so it never needs those certificates. To node, line 2
// is a string and a comment.
//
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
