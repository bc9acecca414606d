/**
 * The one place that reads report templates. The single-file build replaces this module with
 * embedded templates, so nothing else may touch templates/ on disk.
 */
import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import type Handlebars from 'handlebars'

import {describeError, NestreportError} from '../lib/errors.js'
import {TEMPLATE_OPTIONS} from './template-options.js'

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

/** What handlebars' precompile() produced for a template, as runtime.template() takes it. */
export type TemplateSpec = Parameters<typeof Handlebars.template>[0]

interface PrecompiledEntry {
  source: string
  spec: TemplateSpec
}

interface PrecompiledModule {
  options: unknown
  default: Record<string, PrecompiledEntry>
}

/**
 * The built-in templates precompiled by `npm run build` (scripts/precompile-templates.mjs), when
 * they were precompiled with today's TEMPLATE_OPTIONS (a build that stopped before the precompile
 * step leaves an older module behind). Only dist/ has the module; from src/ (vitest) there is none
 * and every template is compiled at run time. A module that exists but fails to load is a broken
 * build and is not hidden.
 */
const PRECOMPILED_URL = new URL('./precompiled-templates.js', import.meta.url)
const PRECOMPILED_MODULE = existsSync(fileURLToPath(PRECOMPILED_URL)) ? ((await import(PRECOMPILED_URL.href)) as PrecompiledModule) : null
const PRECOMPILED: Record<string, PrecompiledEntry> =
  PRECOMPILED_MODULE !== null && JSON.stringify(PRECOMPILED_MODULE.options) === JSON.stringify(TEMPLATE_OPTIONS) ? PRECOMPILED_MODULE.default : {}

/**
 * The build-time compilation of a built-in template, or undefined (a user's template, no build,
 * other options, or templates/<name> edited since the build): then compile readTemplate(name).
 */
export function precompiledTemplate(name: string): TemplateSpec | undefined {
  if (name.includes('/') || !Object.hasOwn(PRECOMPILED, name)) return undefined
  const entry = PRECOMPILED[name]
  return entry.source === readTemplate(name) ? entry.spec : undefined
}
