/**
 * The one place that reads report templates. The single-file build replaces this module with
 * embedded templates, so nothing else may touch templates/ on disk.
 */
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {describeError, NestreportError} from '../lib/errors.js'

/**
 * A built-in template by file name ("level.md.hbs") from templates/, located relative to this
 * module so it works from src/ (vitest) and dist/. A name holding a slash is a user's template
 * (--template; callers pass path.resolve(flag)) and is read from that path instead.
 */
export function readTemplate(name: string): string {
  const path = name.includes('/') ? name : fileURLToPath(new URL(`../../templates/${name}`, import.meta.url))
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new NestreportError('inputMissing', `cannot read template ${path}: ${describeError(error)}`)
  }
}
