#!/usr/bin/env node
// Development entry: rebuilds nothing; runs the unbundled tsc output in dist/ through oclif's usual
// package.json loading (bin/run.js runs the bundle) with oclif's development flags (full stack
// traces). Use `npx tsc -p tsconfig.build.json --watch` beside it.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
