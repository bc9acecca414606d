/**
 * The handlebars environment every report template renders in: an isolated instance (no global
 * helper registry shared with other code or tests), markdown never HTML-escaped (noEscape), and a
 * small set of helpers that make kernel and QEMU text safe in markdown and readable in mail.
 *
 * Built-in templates are precompiled by `npm run build` and run on handlebars/runtime.js (the .js:
 * handlebars has no exports map, so Node's ESM resolver needs the file name); the full
 * handlebars (parser, compiler, source-map) is loaded only to compile template text: a user's
 * --template, or any template when running from src/. Both are CommonJS: default imports only
 * (a named import passes tsc and crashes the built CLI). Commands import the render modules
 * lazily, so even the runtime loads only when rendering.
 */
import runtimeModule from 'handlebars/runtime.js'

import {type HandlebarsCompiler, loadHandlebarsCompiler} from './handlebars-compiler.js'
import {TEMPLATE_OPTIONS} from './template-options.js'
import {precompiledTemplate, readTemplate, type TemplateSpec} from './templates.js'
import {fence, inlineCode, keyValue, markdownText, shellCommand, tableCell, tableCellCode, textBlock, wrapText} from './text.js'

/** An environment that can compile template text (the full handlebars). */
export type RenderEngine = HandlebarsCompiler
export type RenderTemplate = (view: object) => string

/** What every report helper is registered on: the full handlebars or its runtime alone. */
type HelperRegistry = Pick<HandlebarsCompiler, 'registerHelper'>

/** The runtime is the full handlebars without parser and compiler; its own typings declare nothing. */
type HandlebarsRuntime = Pick<HandlebarsCompiler, 'registerHelper' | 'template'> & {create(): HandlebarsRuntime}
const handlebarsRuntime = runtimeModule as unknown as HandlebarsRuntime

export {TEMPLATE_OPTIONS} from './template-options.js'

/** A fact with where it came from (the model's Sourced<T>). */
interface SourcedLike {
  value: unknown
  source: string
}

/** Handlebars passes its options object as the last argument of every helper call. */
function withoutOptions(args: unknown[]): unknown[] {
  return args.slice(0, -1)
}

const str = (value: unknown): string => (value === null || value === undefined ? '' : String(value))

/** yes/no for a boolean, "unknown" for null: the model uses null for "could not tell". */
export function yesNo(value: unknown): string {
  if (value === true) return 'yes'
  if (value === false) return 'no'
  return 'unknown'
}

/**
 * A module parameter or nesting switch in words: Y/1/true -> "on", N/0/false -> "off", absent ->
 * "not present"; other values (numbers, mode names) as the kernel printed them.
 */
export function onOff(value: unknown): string {
  if (value === null || value === undefined) return 'not present'
  if (value === true) return 'on'
  if (value === false) return 'off'
  const text = String(value).trim()
  if (/^(y|yes|1|on|true)$/i.test(text)) return 'on'
  if (/^(n|no|0|off|false)$/i.test(text)) return 'off'
  return text
}

/** "value (source)"; "unknown" when the value is null, the source kept so it can be checked. */
export function sourcedFact(fact: SourcedLike | null | undefined): string {
  if (!fact) return 'unknown'
  const value = fact.value === null || fact.value === undefined || fact.value === '' ? 'unknown' : String(fact.value)
  return fact.source ? `${value} (${fact.source})` : value
}

/** "1 oops", "2 oopses". */
export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`
}

/** Register every report helper on an isolated environment. */
function registerReportHelpers<T extends HelperRegistry>(hb: T): T {
  const helpers: Record<string, (...args: any[]) => unknown> = {
    // markdown
    fence: (text: unknown, info: unknown) => fence(str(text), typeof info === 'string' ? info : ''),
    code: (text: unknown) => inlineCode(str(text)),
    cell: (text: unknown) => tableCell(str(text)),
    cellCode: (text: unknown) => tableCellCode(str(text)),
    md: (text: unknown) => markdownText(str(text)),
    // values
    yesno: (value: unknown) => yesNo(value),
    flag: (value: unknown) => onOff(value),
    // a Sourced<T> object, or a value and its source as two arguments
    fact: (...args: unknown[]) => {
      const [fact, source] = withoutOptions(args)
      return sourcedFact(typeof source === 'string' ? {value: fact, source} : (fact as SourcedLike | null))
    },
    plural: (count: number, one: string, many: string) => plural(count, one, many),
    join: (list: unknown, sep: unknown) =>
      Array.isArray(list) ? list.map(str).join(typeof sep === 'string' ? sep : ', ') : str(list),
    shell: (argv: unknown, width: unknown) =>
      Array.isArray(argv) ? shellCommand(argv.map(str), typeof width === 'number' ? width : undefined) : str(argv),
    concat: (...args: unknown[]) => withoutOptions(args).map(str).join(''),
    list: (...args: unknown[]) => withoutOptions(args).flat().filter((x) => x !== null && x !== undefined),
    eq: (a: unknown, b: unknown) => a === b,
    or: (...args: unknown[]) => withoutOptions(args).find(Boolean) ?? '',
    // plain text
    wrap: (text: unknown, width: unknown) => wrapText(str(text), typeof width === 'number' ? width : undefined),
    kv: (key: unknown, value: unknown, ...rest: unknown[]) => {
      const [keyWidth, indent] = withoutOptions(rest)
      return keyValue(str(key), str(value), typeof keyWidth === 'number' ? keyWidth : undefined, typeof indent === 'string' ? indent : '')
    },
    underline: (text: unknown, char: unknown) => (typeof char === 'string' ? char : '-').repeat(str(text).length),
    block: (text: unknown) => textBlock(str(text)),
  }
  for (const [name, helper] of Object.entries(helpers)) hb.registerHelper(name, helper)
  return hb
}

/** The full environment with every report helper registered; templates from others reuse it. */
export function createRenderEngine(): RenderEngine {
  return registerReportHelpers(loadHandlebarsCompiler().create())
}

/** Compile template text in `engine` with TEMPLATE_OPTIONS (a copy: handlebars adds to the object it gets). */
export function compileTemplate(engine: RenderEngine, source: string): RenderTemplate {
  return engine.compile(source, {...TEMPLATE_OPTIONS})
}

/**
 * A built-in template ("level.md.hbs") or a user's template path, ready to render: the build's
 * precompiled form on the runtime alone when there is one, else compiled from its text.
 */
function loadTemplate(nameOrPath: string): RenderTemplate {
  const spec = precompiledTemplate(nameOrPath)
  return spec === undefined ? compileTemplate(createRenderEngine(), readTemplate(nameOrPath)) : templateFromSpec(spec)
}

/** A precompiled template (handlebars' precompile() output) on the runtime alone, with every report helper. */
export function templateFromSpec(spec: TemplateSpec): RenderTemplate {
  return registerReportHelpers(handlebarsRuntime.create()).template(spec)
}

/** Render a view model with a built-in template or a user's template path: the one call a report module needs. */
export function renderTemplate(nameOrPath: string, view: object): string {
  return `${loadTemplate(nameOrPath)(view).trimEnd()}\n`
}
