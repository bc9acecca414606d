#!/usr/bin/env node
// Evaluate the kernel-log analyser over directories of real logs: `npm run eval:oops -- DIR...`
// (default: ../shared/corpus/*). Prints detection, false alarms and title accuracy per corpus;
// `--verbose` lists every file, `--json` prints the scores. Logic: src/analyse/kernel-log/eval.ts.
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {evaluateDirectory, formatScore} from '../dist/analyse/kernel-log/eval.js'

const args = process.argv.slice(2)
const verbose = args.includes('--verbose') || args.includes('-v')
const json = args.includes('--json')
let dirs = args.filter((a) => !a.startsWith('-'))
if (dirs.length === 0) {
  const corpus = fileURLToPath(new URL('../../shared/corpus/', import.meta.url))
  if (!existsSync(corpus)) {
    console.error(`eval-oops: no DIR given and ${corpus} is absent; nothing to evaluate`)
    process.exit(2)
  }
  dirs = readdirSync(corpus).map((d) => join(corpus, d)).filter((d) => statSync(d).isDirectory())
}
const scores = []
for (const dir of dirs) {
  const abs = resolve(dir)
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    console.error(`eval-oops: ${dir}: not a directory`)
    process.exitCode = 2
    continue
  }
  scores.push(evaluateDirectory(abs))
}
if (json) console.log(JSON.stringify(scores, null, 2))
else for (const s of scores) console.log(formatScore(s, verbose) + '\n')
