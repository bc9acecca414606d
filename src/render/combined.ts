/**
 * The combined report of a nested setup: markdown (default; bugzilla and forges), plain text at
 * 72 columns for mailing lists, or the combined model as JSON. A user's --template renders against
 * the same view model as the built-in templates (src/render/combined-view.ts).
 */
import {describeError, isNestreportError, NestreportError} from '../lib/errors.js'
import type {CombinedModel} from '../model/combined.js'
import {combinedView} from './combined-view.js'
import {renderTemplate} from './engine.js'

export type CombinedFormat = 'md' | 'text' | 'json'

const COMBINED_TEMPLATES: Record<Exclude<CombinedFormat, 'json'>, string> = {md: 'combined.md.hbs', text: 'combined.txt.hbs'}

/** File name of the rendered report inside the combined archive and beside it. */
export const COMBINED_REPORT_NAMES: Record<CombinedFormat, string> = {md: 'report.md', text: 'report.txt', json: 'report.json'}

export function renderCombinedReport(model: CombinedModel, format: CombinedFormat, templatePath?: string): string {
  if (format === 'json' && !templatePath) return `${JSON.stringify(model, null, 2)}\n`
  const name = templatePath ?? COMBINED_TEMPLATES[format === 'json' ? 'md' : format]
  try {
    // Built-in templates come precompiled from the build (no handlebars compiler on this path).
    return renderTemplate(name, combinedView(model))
  } catch (error) {
    // A user's template with a typo is bad input: one line naming it, not a stack trace.
    if (templatePath && !isNestreportError(error)) throw new NestreportError('malformed', `template ${templatePath}: ${describeError(error).replace(' in [object Object]', '')}`, {cause: error})
    throw error
  }
}
