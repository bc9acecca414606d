/**
 * The combined report of a nested setup: markdown (default; bugzilla and forges), plain text at
 * 72 columns for mailing lists, or the combined model as JSON. A user's --template renders against
 * the same view model as the built-in templates (src/render/combined-view.ts).
 */
import type {CombinedModel} from '../model/combined.js'
import {combinedView} from './combined-view.js'
import {compileTemplate, createRenderEngine} from './engine.js'
import {readTemplate} from './templates.js'

export type CombinedFormat = 'md' | 'text' | 'json'

export const COMBINED_TEMPLATES: Record<Exclude<CombinedFormat, 'json'>, string> = {md: 'combined.md.hbs', text: 'combined.txt.hbs'}

/** File name of the rendered report inside the combined archive and beside it. */
export const COMBINED_REPORT_NAMES: Record<CombinedFormat, string> = {md: 'report.md', text: 'report.txt', json: 'report.json'}

export function renderCombinedReport(model: CombinedModel, format: CombinedFormat, templatePath?: string): string {
  if (format === 'json' && !templatePath) return `${JSON.stringify(model, null, 2)}\n`
  const name = templatePath ?? COMBINED_TEMPLATES[format === 'json' ? 'md' : format]
  const template = compileTemplate(createRenderEngine(), readTemplate(name))
  return `${template(combinedView(model)).trimEnd()}\n`
}
