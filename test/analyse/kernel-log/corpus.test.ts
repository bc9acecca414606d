/**
 * The shared corpora of real oops logs (abrt tests/examples, satyr tests/kerneloopses), read from
 * ../shared/corpus/ at test time and never copied into the repository. Skipped, with a message,
 * where they are absent.
 */
import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {evaluateDirectory} from '../../../src/analyse/kernel-log/eval.js'
import {analyseKernelLog} from '../../../src/analyse/kernel-log/index.js'

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url))
const ABRT = `${CORPUS}abrt-examples`
const SATYR = `${CORPUS}satyr-kerneloopses`

/**
 * Deliberate divergence from abrt: oops7 holds only `ALSA sound/core/pcm_lib.c:181: BUG: pcmC0D0p:0,
 * pos = ...`, an ALSA debug line with "BUG:" in the middle and no trace; nestreport anchors headers
 * at the start of the kernel text so such lines are not crashes.
 */
const ABRT_POLICY_MISSES = new Set(['oops7.test.template'])

describe.skipIf(!existsSync(ABRT))('abrt tests/examples corpus', () => {
  const score = existsSync(ABRT) ? evaluateDirectory(ABRT) : null

  it('finds no crash in the clean logs', () => {
    expect(score!.falseAlarms.cleanFiles).toBeGreaterThanOrEqual(3)
    expect(score!.files.filter((f) => f.verdict === 'false-alarm')).toEqual([])
  })

  it("finds at least abrt's oops count in every other log", () => {
    const missed = score!.files.filter((f) => f.verdict === 'missed' && !ABRT_POLICY_MISSES.has(f.file))
    expect(missed).toEqual([])
    expect(score!.detection.rate).toBeGreaterThanOrEqual(0.95)
  })

  it("starts reports at abrt's first oops line", () => {
    expect(score!.titles.rate).toBeGreaterThanOrEqual(0.9)
  })

  it('the oops before abrt\'s "already reported" marker in not_oops2 is genuine', () => {
    const f = score!.files.find((x) => x.file === 'not_oops2.test.template')!
    expect(f.verdict).toBe('ok')
    expect(f.beforeAbrtMarker).toBe(1)
  })

  it('hashes the same bug from two machines alike (abrt hash-gen and same-as pairs)', () => {
    const hash = (name: string) => analyseKernelLog(readFileSync(`${ABRT}/${name}`, 'utf8')).oopses[0].stackHash
    expect(hash('hash-gen-same-as-oops6.right')).toBe(hash('hash-gen-oops6.right'))
    expect(hash('oops-same-as-oops4.right')).toBe(hash('oops4.right'))
    expect(hash('oops4.right')).not.toBe(hash('hash-gen-oops6.right'))
  })
})

describe.skipIf(!existsSync(SATYR))('satyr tests/kerneloopses corpus', () => {
  const score = existsSync(SATYR) ? evaluateDirectory(SATYR) : null

  it('detects a crash report in every file', () => {
    expect(score!.files.filter((f) => f.verdict !== 'ok').map((f) => f.file)).toEqual([])
  })

  it('gives the reviewed title for at least 95 % of the files', () => {
    expect(score!.titles.checked).toBe(49)
    expect(score!.titles.rate).toBeGreaterThanOrEqual(0.95)
  })
})

if (!existsSync(ABRT) || !existsSync(SATYR)) {
  console.warn(`kernel-log corpus tests skipped: ${CORPUS} (abrt-examples, satyr-kerneloopses) is absent`)
}
