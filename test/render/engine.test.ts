import Handlebars from 'handlebars'
import {describe, expect, it} from 'vitest'

import {compileTemplate, createRenderEngine, onOff, plural, sourcedFact, yesNo} from '../../src/render/engine.js'

const render = (source: string, view: object = {}) => compileTemplate(createRenderEngine(), source)(view)

describe('render engine', () => {
  it('never HTML-escapes: markdown and kernel text come out as written', () => {
    const out = render('{{x}} {{md y}}', {x: '<Gold> `vmx` a=b & "q"', y: 'a=b'})
    expect(out).toBe('<Gold> `vmx` a=b & "q" a=b')
    expect(out).not.toMatch(/&lt;|&#x60;|&#x3D;|&amp;|&quot;/)
  })

  it('registers its helpers on an isolated instance, not the global handlebars', () => {
    createRenderEngine()
    expect(Handlebars.helpers.fence).toBeUndefined()
    expect(Handlebars.helpers.cell).toBeUndefined()
  })

  it('fails on a misspelt field instead of rendering nothing', () => {
    expect(() => render('{{cpu.modle}}', {cpu: {model: 'x'}})).toThrow(/modle/)
  })

  it('fences and celled text through helpers', () => {
    expect(render('{{fence t "sh"}}', {t: 'a ``` b'})).toBe('````sh\na ``` b\n````')
    expect(render('| {{cell t}} | {{cellCode t}} |', {t: 'a|b'})).toBe('| a\\|b | `a\\|b` |')
    expect(render('{{code t}}', {t: 'x`y'})).toBe('``x`y``')
  })

  it('words booleans and module parameters', () => {
    expect(render('{{yesno a}} {{yesno b}} {{yesno c}}', {a: true, b: false, c: null})).toBe('yes no unknown')
    expect(render('{{flag a}} {{flag b}} {{flag c}} {{flag d}} {{flag e}}', {a: 'Y', b: '0', c: null, d: 'not required', e: true})).toBe(
      'on off not present not required on',
    )
  })

  it('shows a sourced fact with its source, from an object or two arguments', () => {
    expect(render('{{fact f}}', {f: {value: 'AMD EPYC', source: '/proc/cpuinfo'}})).toBe('AMD EPYC (/proc/cpuinfo)')
    expect(render('{{fact v s}}', {v: 25, s: '/proc/cpuinfo'})).toBe('25 (/proc/cpuinfo)')
    expect(render('{{fact f}}', {f: {value: null, source: ''}})).toBe('unknown')
  })

  it('joins, compares, picks the first truthy value and builds strings', () => {
    expect(render('{{join xs}}|{{join xs " "}}', {xs: ['tsc', 'kvm-clock']})).toBe('tsc, kvm-clock|tsc kvm-clock')
    expect(render('{{#if (eq a "kvm")}}K{{else}}T{{/if}}', {a: 'kvm'})).toBe('K')
    expect(render('{{or a b "none"}}', {a: null, b: ''})).toBe('none')
    expect(render('{{concat "L" n ": " x}}', {n: 1, x: 'guest'})).toBe('L1: guest')
    expect(render('{{join (list a b)}}', {a: 'dmesg', b: ['kern.log', 'journal']})).toBe('dmesg, kern.log, journal')
    expect(render('{{underline t "="}}', {t: 'abc'})).toBe('===')
  })

  it('lays out plain text for mail', () => {
    expect(render('{{kv "Vendor" v 10}}', {v: 'GenuineIntel'})).toBe('Vendor:   GenuineIntel')
    expect(render('{{kv "param" v 10 "  "}}', {v: 'Y'})).toBe('  param:    Y')
    const wrapped = render('{{wrap t}}', {t: `  ${'word '.repeat(40)}`})
    for (const line of wrapped.split('\n')) expect(line.length).toBeLessThanOrEqual(72)
    expect(render('{{block t}}', {t: 'a\nb'})).toBe('    a\n    b')
    expect(render('{{shell argv}}', {argv: ['qemu', '-m', '512']})).toBe('qemu \\\n    -m 512')
  })
})

describe('value wording', () => {
  it('reads Y/N/1/0 module parameters', () => {
    expect(['Y', 'y', '1', 'N', '0', '-1', 'auto'].map(onOff)).toEqual(['on', 'on', 'on', 'off', 'off', '-1', 'auto'])
    expect(yesNo(undefined)).toBe('unknown')
    expect(plural(1, 'oops', 'oopses')).toBe('1 oops')
    expect(plural(2, 'oops', 'oopses')).toBe('2 oopses')
    expect(sourcedFact(null)).toBe('unknown')
  })
})
