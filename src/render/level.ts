/**
 * The level report (report.md / report.txt of `collect`): a LevelModel worded once as a view model
 * and laid out by templates/level.md.hbs or templates/level.txt.hbs.
 */
import type {LevelModel} from '../model/level.js'
import {renderTemplate} from './engine.js'
import {levelView} from './level-view.js'

export type ReportFormat = 'md' | 'text'

const TEMPLATE_FOR: Record<ReportFormat, string> = {md: 'level.md.hbs', text: 'level.txt.hbs'}

/**
 * Render one level's report. `templatePath` replaces the built-in template (--template); it sees
 * the same view model (src/render/level-view.ts).
 */
export function renderLevelReport(model: LevelModel, format: ReportFormat, templatePath?: string): string {
  return renderTemplate(templatePath ?? TEMPLATE_FOR[format], levelView(model))
}
