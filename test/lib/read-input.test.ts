import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {EXIT} from '../../src/lib/errors.js'
import {readTextInput} from '../../src/lib/read-input.js'
import {exitOf} from './expect-error.js'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nestreport-input-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})


describe('readTextInput', () => {
  it('reads a text log', async () => {
    const file = join(dir, 'dmesg.txt')
    await writeFile(file, '[    0.000000] Linux version 6.18.44-fc-v657\n')
    expect(await readTextInput(file)).toBe('[    0.000000] Linux version 6.18.44-fc-v657\n')
  })

  it('missing -> inputMissing, directory -> inputMissing', async () => {
    expect(await exitOf(readTextInput(join(dir, 'nope')))).toBe(EXIT.inputMissing)
    expect(await exitOf(readTextInput(dir))).toBe(EXIT.inputMissing)
  })

  it('binary (a journal file, a gzip) -> binaryLog', async () => {
    const file = join(dir, 'system.journal')
    await writeFile(file, Buffer.concat([Buffer.from('LPKSHHRH'), Buffer.alloc(4096)]))
    expect(await exitOf(readTextInput(file))).toBe(EXIT.binaryLog)
  })

  it('enormous -> oversize, refused from the size alone', async () => {
    const file = join(dir, 'big.log')
    await writeFile(file, 'x'.repeat(2048))
    expect(await exitOf(readTextInput(file, {maxBytes: 1024}))).toBe(EXIT.oversize)
  })
})
