import Handlebars from 'handlebars'
import {describe, expect, it} from 'vitest'

import {combineLevels} from '../../src/analyse/combine.js'
import {combinedView} from '../../src/render/combined-view.js'
import {compileTemplate, createRenderEngine, TEMPLATE_OPTIONS, templateFromSpec} from '../../src/render/engine.js'
import {levelView} from '../../src/render/level-view.js'
import {precompiledTemplate, readTemplate, type TemplateSpec} from '../../src/render/templates.js'
import {kvmL1Model, l2Model} from '../helpers/combined-fixtures.js'
import {intelL0Model, pvmL1Model, sparseModel} from '../helpers/level-model.js'

/** What scripts/precompile-templates.mjs writes for a template, evaluated as the built module would be. */
function precompile(source: string): TemplateSpec {
  return new Function(`return ${Handlebars.precompile(source, {...TEMPLATE_OPTIONS})}`)() as TemplateSpec
}

const now = new Date('2026-11-25T12:00:00Z')
const levelViews = [pvmL1Model(), intelL0Model(), sparseModel()].map((m) => levelView(m))
const combinedViews = [
  combineLevels([{model: intelL0Model(), bundleName: 'l0'}, {model: kvmL1Model('intel'), bundleName: 'l1'}, {model: l2Model('kvm', 'intel'), bundleName: 'l2'}], {now}),
  combineLevels([{model: pvmL1Model(), bundleName: 'pvm'}], {now}),
].map((m) => combinedView(m))

describe('precompiled templates (the built CLI renders these on handlebars/runtime)', () => {
  const cases: Array<[string, object[]]> = [
    ['level.md.hbs', levelViews],
    ['level.txt.hbs', levelViews],
    ['combined.md.hbs', combinedViews],
    ['combined.txt.hbs', combinedViews],
  ]
  for (const [name, views] of cases) {
    it(`${name} renders the same as when compiled at run time`, () => {
      const source = readTemplate(name)
      const compiled = compileTemplate(createRenderEngine(), source)
      const runtime = templateFromSpec(precompile(source))
      for (const view of views) {
        const expected = compiled(view)
        expect(expected.length).toBeGreaterThan(200)
        expect(runtime(view)).toBe(expected)
      }
    })
  }

  it('keeps the compile options: nothing escaped, a misspelt field fails', () => {
    expect(templateFromSpec(precompile('{{x}} {{code y}}'))({x: '<Gold> a=b', y: 'v`x'})).toBe('<Gold> a=b ``v`x``')
    expect(() => templateFromSpec(precompile('{{cpu.modle}}'))({cpu: {model: 'x'}})).toThrow(/modle/)
  })

  it('are never used from src/ or for a user template: those compile from the file', () => {
    expect(precompiledTemplate('level.md.hbs')).toBeUndefined()
    expect(precompiledTemplate('/tmp/mine/level.md.hbs')).toBeUndefined()
  })
})
