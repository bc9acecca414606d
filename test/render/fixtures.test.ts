/**
 * Every fixture capture in test/fixtures/sysroots through the real parse stage and both report
 * formats. Expected facts come from the model the parser built, so a new fixture is covered
 * without editing this file.
 */
import {describe, expect, it} from 'vitest'

import {levelJsonSchema} from '../../src/model/json-schema.js'
import {LevelModel} from '../../src/model/level.js'
import {buildLevelModel} from '../../src/parse/index.js'
import {renderLevelReport} from '../../src/render/level.js'
import {validateAgainstSchema} from '../helpers/json-schema-check.js'
import {fixtureCaptureNames, loadFixtureCapture} from '../helpers/load-capture.js'

const HTML_ENTITY = /&(lt|gt|amp|quot|#x60|#x3D|#x27|#39);/
const names = fixtureCaptureNames()

describe.each(names)('fixture %s', (name) => {
  const model = buildLevelModel(loadFixtureCapture(name))
  const md = renderLevelReport(model, 'md')
  const text = renderLevelReport(model, 'text')

  it('builds a model that parses and matches the published JSON Schema', () => {
    expect(() => LevelModel.parse(model)).not.toThrow()
    expect(validateAgainstSchema(levelJsonSchema(), JSON.parse(JSON.stringify(model)))).toEqual([])
  })

  it('opens with the level and a verdict naming /dev/kvm and its module', () => {
    const [title, , verdict] = md.split('\n')
    expect(title).toBe(`# nestreport: ${model.level.effective ?? 'level unknown'} on ${model.kernel.hostname.value ?? 'unknown host'}`)
    expect(verdict.startsWith(`**${model.level.effective ?? 'Level unknown'}: `)).toBe(true)
    if (model.kvm.devKvm.present && model.kvm.vendorModule) expect(verdict).toContain(`provides /dev/kvm through ${model.kvm.vendorModule}`)
    if (model.kvm.devKvm.present === false) expect(verdict).toContain('without /dev/kvm')
  })

  it('shows the CPU, kernel and every kvm module parameter', () => {
    if (model.cpu.modelName.value) expect(md).toContain(model.cpu.modelName.value)
    if (model.kernel.release.value) expect(md).toContain(model.kernel.release.value)
    if (model.kernel.cmdline.value) expect(md).toContain(`\n${model.kernel.cmdline.value}\n`)
    if (model.cpu.cpuid?.hypervisorSignature) expect(md).toContain(`\`${model.cpu.cpuid.hypervisorSignature}\``)
    for (const module of model.kvm.modules) {
      for (const [param, value] of Object.entries(module.parameters)) {
        expect(md).toMatch(new RegExp(`^\\| (\\*\\*)?\`${param}\`(\\*\\*)? \\| (\\*\\*)?\`${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\``, 'm'))
      }
    }
  })

  it('lists everything not collected and says whether identity was redacted', () => {
    for (const item of model.notCollected) expect(md).toContain(`(${item.group}): not collected because`)
    if (!model.redaction?.identityRedacted) expect(md).toContain('--redact was not used')
    for (const oops of model.kernelLog.oopses) expect(md).toContain(oops.text.split('\n')[0])
  })

  it('is clean markdown and 72-column text', () => {
    expect(md).not.toMatch(HTML_ENTITY)
    expect(text).not.toMatch(HTML_ENTITY)
    const overlong = text.split('\n').filter((l) => l.length > 72 && l.trim().replace(/ \\$/, '').includes(' '))
    expect(overlong).toEqual([])
  })
})

it('has at least one fixture capture to render', () => {
  expect(names.length).toBeGreaterThan(0)
})
