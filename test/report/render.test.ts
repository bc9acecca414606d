import {describe, expect, it} from 'vitest'

import {combineLevels} from '../../src/analyse/combine.js'
import {renderCombinedReport} from '../../src/render/combined.js'
import {amdL0Model, edit, intelL0Model, pvmL1Model} from '../helpers/combined-fixtures.js'

const now = new Date('2026-11-25T16:00:00Z')

/** Kernel and QEMU text that would break naive markdown: fences, pipes, HTML, newlines. */
function hostileSetup() {
  const l0 = edit(intelL0Model(), (m) => {
    m.cpu.modelName.value = 'Evil | CPU <b>bold</b>\nsecond line'
    const oops = m.kernelLog.oopses[0]
    oops.title = 'WARNING in `x` | y'
    oops.text = `${oops.text}\n\`\`\`\nnot the end of the fence\n\`\`\`\`\n`
  })
  return combineLevels([{model: l0, bundleName: 'a|b.tar.gz'}, {model: pvmL1Model(), bundleName: 'b.tar.gz'}], {now})
}

describe('combined markdown', () => {
  it('keeps tables intact and kernel text inside one fence whatever the text holds', () => {
    const md = renderCombinedReport(hostileSetup(), 'md')
    const side = md.split('## Side by side')[1].split('\n## ')[0]
    const rows = side.split('\n').filter((l) => l.startsWith('|'))
    // header + separator + one line per comparison row, each with exactly 3 unescaped cell separators.
    for (const row of rows) expect(row.replace(/\\\|/g, '').split('|').length - 1).toBe(4)
    expect(md).toContain('Evil \\| CPU \\<b\\>bold\\</b\\><br>second line')
    const oopsSection = md.split('## Kernel oopses and warnings')[1]
    const fenceOpen = oopsSection.match(/^(`{3,})$/m)![1]
    expect(fenceOpen.length).toBeGreaterThan(4)
    expect(oopsSection.split('\n').filter((l) => l === fenceOpen)).toHaveLength(2)
  })

  it('links every oops into the raw log of its level inside the archive', () => {
    const md = renderCombinedReport(combineLevels([{model: intelL0Model(), bundleName: 'a'}], {now}), 'md')
    expect(md).toContain('[L0/commands/journal-kernel.out#L1988](L0/commands/journal-kernel.out#L1988), lines 1988-1999')
  })
})

describe('combined plain text', () => {
  it('stays within 72 columns except for tokens that cannot be broken, and has no tables', () => {
    const text = renderCombinedReport(hostileSetup(), 'text')
    for (const line of text.split('\n')) {
      if (line.length > 72) expect(line.trim()).not.toMatch(/\s/)
    }
    expect(text).not.toMatch(/^\|/m)
    expect(text).toContain('Chain:\n  L0 bare metal')
  })
})

describe('combined JSON', () => {
  it('is the combined model itself', () => {
    const model = combineLevels([{model: amdL0Model(), bundleName: 'a'}], {now})
    expect(JSON.parse(renderCombinedReport(model, 'json'))).toEqual(JSON.parse(JSON.stringify(model)))
  })
})
