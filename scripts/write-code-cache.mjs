#!/usr/bin/env node
// Build step (scripts/build-cli.mjs): run the CLI bundle once through bin/bundle-loader.js, as
// bin/run.js does, then save what V8 compiled as the bundle's code cache. The run is a `collect`
// of a fixture capture into a temporary directory: it compiles the startup path and the parse,
// analyse, render and bundle stages without reading or spawning anything of the build machine.
// It also proves the bundle runs: a failing run fails the build.
// Usage: node scripts/write-code-cache.mjs BUNDLE
import {existsSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {codeCachePath, loadBundle} from '../bin/bundle-loader.js'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const bundle = path.resolve(process.argv[2] ?? path.join(repo, 'dist', 'nestreport.cjs'))
const fixture = path.join(repo, 'test', 'fixtures', 'sysroots', 'pvm-l1')
const out = mkdtempSync(path.join(os.tmpdir(), 'nestreport-code-cache-'))
try {
  const {exports, script} = loadBundle(bundle)
  // Without the fixtures (a source tree without test/), --version still caches the startup path.
  const argv = existsSync(fixture) ? ['collect', '--sysroot', fixture, '-o', out, '--json'] : ['--version']
  await exports.main({root: repo, argv})
  if (process.exitCode) throw new Error(`the bundle failed on \`${argv.join(' ')}\` (exit ${process.exitCode})`)
  const cache = codeCachePath(bundle)
  const tmp = `${cache}.${process.pid}.tmp`
  writeFileSync(tmp, script.createCachedData())
  renameSync(tmp, cache)
} finally {
  rmSync(out, {recursive: true, force: true})
}
