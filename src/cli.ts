/**
 * Entry point of the CLI bundle (scripts/build-cli.mjs -> dist/nestreport.cjs), which bin/run.js
 * runs and which also runs alone (`node nestreport.cjs collect` on a level with a bare node and no
 * node_modules). oclif normally reads package.json and imports the command index from disk; in
 * one bundled file neither exists, so the root plugin is given the package.json inlined at build
 * time and the COMMANDS map directly. The rest (templates, nestreport's version) is inlined by the
 * build script.
 */
import {execute, type Interfaces, Plugin} from '@oclif/core'

import {COMMANDS} from './commands/index.js'

/** package.json, inlined by the build (esbuild `define`). */
declare const NESTREPORT_PACKAGE_JSON: Interfaces.PJSON

/** Runs one command line; `root` is the directory oclif treats as the package root. */
export async function main({root, argv}: {root: string; argv: string[]}): Promise<void> {
  if (typeof NESTREPORT_PACKAGE_JSON === 'undefined') {
    // tsc also compiles this file to dist/cli.js, which only the bundle can run.
    throw new TypeError('src/cli.ts is the entry of the CLI bundle: run `npm run build` and use bin/run.js or dist/nestreport.cjs')
  }
  const pjson = NESTREPORT_PACKAGE_JSON
  const plugin = new Plugin({root, pjson, isRoot: true})
  // The explicit strategy would import pjson.oclif.commands.target from disk; the map is already here.
  ;(plugin as unknown as {commandCache: typeof COMMANDS}).commandCache = COMMANDS
  await plugin.load()
  await execute({args: argv, loadOptions: {root, pjson, plugins: new Map([[plugin.name, plugin]])}})
}
