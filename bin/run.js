#!/usr/bin/env node
// Runs the compiled CLI from dist/. Build first (`npm run build`).
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
