#!/usr/bin/env node
// Development entry: rebuilds nothing; runs dist/ like run.js but with oclif's development flags
// (full stack traces). Use `npx tsc -p tsconfig.build.json --watch` beside it.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
