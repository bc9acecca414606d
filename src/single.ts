/**
 * Entry point of the single-file build (scripts/build-single.mjs -> dist/nestreport.mjs), for a
 * level that has a bare `node` but no npm, no node_modules and no network. oclif normally reads
 * package.json and imports the command index from disk; in one bundled file neither exists, so
 * the root plugin is given the package.json inlined at build time and the COMMANDS map directly.
 * The rest (templates, nestreport's version) is inlined by the build script.
 */
import {dirname} from 'node:path'
import {fileURLToPath} from 'node:url'

import {execute, type Interfaces, Plugin} from '@oclif/core'

import {COMMANDS} from './commands/index.js'

/** package.json, inlined by the build (esbuild `define`). */
declare const NESTREPORT_PACKAGE_JSON: Interfaces.PJSON

if (typeof NESTREPORT_PACKAGE_JSON === 'undefined') {
  // tsc also compiles this file to dist/single.js, which only the bundle can run.
  throw new TypeError('src/single.ts is the entry of the single-file build: run `npm run build:single` and use dist/nestreport.mjs')
}
const root = dirname(fileURLToPath(import.meta.url))
const pjson = NESTREPORT_PACKAGE_JSON
const plugin = new Plugin({root, pjson, isRoot: true})
// The explicit strategy would import pjson.oclif.commands.target from disk; the map is already here.
;(plugin as unknown as {commandCache: typeof COMMANDS}).commandCache = COMMANDS
await plugin.load()
await execute({args: process.argv.slice(2), loadOptions: {root, pjson, plugins: new Map([[plugin.name, plugin]])}})
