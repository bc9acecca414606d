/**
 * Collateral damage on real captures (test/fixtures/sysroots: Intel and AMD L0s, L1s and L2s, the
 * PVM L1, TCG guests): with --redact, every word that changes must become a pseudonym, and every
 * line that holds no identity must come through byte-identical.
 */
import {readdirSync} from 'node:fs'
import {join} from 'node:path'

import {describe, expect, it} from 'vitest'

import {captureFromSysroot} from '../../src/capture/sysroot.js'
import {buildLevelModel} from '../../src/parse/index.js'
import {collectIdentitySeeds, redactCapture} from '../../src/redact/index.js'
import {REPO_ROOT} from '../helpers/report-run.js'

const SYSROOTS = join(REPO_ROOT, 'test/fixtures/sysroots')
const FIXTURES = readdirSync(SYSROOTS, {withFileTypes: true})
  .filter((d) => d.isDirectory())
  .map((d) => d.name)

const PSEUDONYM = /^(?:host\d+(?:\.domain\d+\.example)?|domain\d+\.example|user\d+|serial\d+|[0-9a-f]{32}|00000000-0000-4000-8000-[0-9a-f]{12}|02([:-])00\1(?:00)\1[0-9a-f]{2}\1[0-9a-f]{2}\1[0-9a-f]{2}|(?:192\.0\.2|198\.51\.100|203\.0\.113|198\.1[89]\.\d+)\.\d+|2001:db8:0:[0-9a-f]+::[0-9a-f]+|fe80::[0-9a-f]+)$/

/** What may be replaced: addresses and UUIDs by shape, names only when the capture says they are names. */
const ADDRESS = /^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{2}(?:[:-][0-9a-f]{2}){5}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f:]*::?[0-9a-f:]*)$/i

const SPLIT = /([\s\0,'"=<>()[\]{}]+)/

/** Words that differ between two lines of the same shape. */
function changedWords(before: string, after: string): Array<[string, string]> {
  const a = before.split(SPLIT)
  const b = after.split(SPLIT)
  expect(b.length).toBe(a.length)
  return a.flatMap((w, i) => (w === b[i] ? [] : [[w, b[i]] as [string, string]]))
}

describe('identity redaction of the real fixture captures', () => {
  for (const name of FIXTURES) {
    it(`${name}: only identity words change, each into a pseudonym`, async () => {
      const capture = await captureFromSysroot(join(SYSROOTS, name), {timeoutSeconds: 5})
      const {capture: redacted} = await redactCapture(capture, buildLevelModel(capture), {identity: true})
      const pairs: Array<[string, string]> = []
      const paths = [...capture.files.keys()]
      const redactedPaths = [...redacted.files.keys()]
      expect(redactedPaths).toHaveLength(paths.length)
      const compare = (a: Buffer, b: Buffer) => {
        const la = a.toString('latin1').split('\n')
        const lb = b.toString('latin1').split('\n')
        expect(lb).toHaveLength(la.length)
        la.forEach((line, i) => {
          if (line !== lb[i]) pairs.push(...changedWords(line, lb[i]))
        })
      }
      paths.forEach((p, i) => compare(capture.files.get(p)!, redacted.files.get(redactedPaths[i])!))
      for (const [id, out] of capture.commands) compare(out.stdout, redacted.commands.get(id)!.stdout)
      const seeds = collectIdentitySeeds(capture)
      const names = new Set([...seeds.hostnames, ...seeds.serials, ...seeds.usernames, ...seeds.machineIds, ...seeds.domains])
      for (const [original, replacement] of pairs) {
        expect(replacement, `${original} -> ${replacement}`).toMatch(PSEUDONYM)
        expect(ADDRESS.test(original) || names.has(original.toLowerCase()), `${original} is not an identity of ${name}`).toBe(true)
      }
      // Each fixture has a host name, so something must have changed.
      expect(pairs.length).toBeGreaterThan(0)
    })
  }
})
