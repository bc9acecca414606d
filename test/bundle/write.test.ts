import {existsSync} from 'node:fs'
import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {t as listTar} from 'tar'
import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import type {Capture} from '../../src/capture/types.js'
import {ensureWritableDir, writeBundle, writeFileExclusive} from '../../src/bundle/write.js'
import {captureOf} from '../helpers/load-capture.js'

// Spy on how the archive is fed: only buffers may go in, never archiver.file() and friends, which
// read /proc by its lying size and store symlinks as links.
const feed = vi.hoisted(() => ({byPath: 0, appended: [] as string[]}))
vi.mock('archiver', async (importOriginal) => {
  const actual = (await importOriginal<{default: (...args: unknown[]) => Record<string, (...a: unknown[]) => unknown>}>()).default
  const spied = (...args: unknown[]) => {
    const archive = actual(...args)
    for (const method of ['file', 'directory', 'glob', 'symlink']) {
      const original = archive[method].bind(archive)
      archive[method] = (...a: unknown[]) => {
        feed.byPath++
        return original(...a)
      }
    }
    const append = archive.append.bind(archive)
    archive.append = (source: unknown, data: unknown) => {
      feed.appended.push(Buffer.isBuffer(source) ? 'buffer' : typeof source)
      return append(source, data)
    }
    return archive
  }
  return {default: spied}
})

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'nestreport-write-'))
  feed.byPath = 0
  feed.appended = []
})

afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

const STARTED = '2026-11-25T10:11:12.000Z'

function capture(): Capture {
  // /proc/cpuinfo differs from this machine's real one: the archive must hold the buffer.
  const c = captureOf({
    files: {'/proc/cpuinfo': 'captured cpuinfo, not the live file\n', '/sys/module/kvm/parameters/nested': 'Y\n'},
    commands: {dmesg: '[0.0] Linux\n'},
    manifest: {startedAt: STARTED},
  })
  c.commands.get('dmesg')!.stderr = Buffer.from('warn\n')
  return c
}

async function tarEntries(file: string): Promise<Map<string, {data: Buffer; mtime?: Date; type: string}>> {
  const out = new Map<string, {data: Buffer; mtime?: Date; type: string}>()
  await listTar({
    file,
    onReadEntry: (entry) => {
      const chunks: Buffer[] = []
      entry.on('data', (c: Buffer) => chunks.push(c))
      entry.on('end', () => out.set(entry.path, {data: Buffer.concat(chunks), mtime: entry.mtime, type: entry.type}))
    },
  })
  return out
}

const extra = [
  {name: 'report.md', data: Buffer.from('# report\n')},
  {name: 'report.json', data: Buffer.from('{}\n')},
]

describe('writeBundle', () => {
  it('writes the capture layout and the extra files under one top directory, from buffers only', async () => {
    const file = await writeBundle({outputDir: dir, baseName: 'nestreport-L1-vm-20261125T101112Z', capture: capture(), extra})
    expect(file).toBe(path.join(dir, 'nestreport-L1-vm-20261125T101112Z.tar.gz'))
    const entries = await tarEntries(file)
    const top = 'nestreport-L1-vm-20261125T101112Z'
    expect([...entries.keys()]).toEqual([
      `${top}/manifest.json`,
      `${top}/root/proc/cpuinfo`,
      `${top}/root/sys/module/kvm/parameters/nested`,
      `${top}/commands/dmesg.out`,
      `${top}/commands/dmesg.err`,
      `${top}/report.md`,
      `${top}/report.json`,
    ])
    expect(entries.get(`${top}/root/proc/cpuinfo`)!.data.toString()).toBe('captured cpuinfo, not the live file\n')
    expect(JSON.parse(entries.get(`${top}/manifest.json`)!.data.toString())).toEqual(capture().manifest)
    for (const e of entries.values()) {
      expect(e.type).toBe('File')
      expect(e.mtime!.toISOString()).toBe(STARTED)
    }
    expect(feed.byPath).toBe(0)
    expect(feed.appended.length).toBe(7)
    expect(new Set(feed.appended)).toEqual(new Set(['buffer']))
  })

  it('never overwrites: the same capture twice gives -2 with identical bytes', async () => {
    const options = {outputDir: dir, baseName: 'b', capture: capture(), extra}
    const first = await writeBundle(options)
    const second = await writeBundle(options)
    await writeFile(path.join(dir, 'b-3.tar.gz'), 'someone else’s file')
    const fourth = await writeBundle(options)
    expect([first, second, fourth].map((f) => path.basename(f))).toEqual(['b.tar.gz', 'b-2.tar.gz', 'b-4.tar.gz'])
    expect((await readFile(second)).equals(await readFile(first))).toBe(true)
    expect(await readFile(path.join(dir, 'b-3.tar.gz'), 'utf8')).toBe('someone else’s file')
    // No temporary file is left behind.
    expect((await readdir(dir)).sort()).toEqual(['b-2.tar.gz', 'b-3.tar.gz', 'b-4.tar.gz', 'b.tar.gz'])
  })

  it('keeps every byte of a bundle larger than the blocks handed to gzip', async () => {
    // ~3 MiB of incompressible data in many entries of odd sizes: several full blocks and a partial
    // last one go through the coalescing step between tar and gzip.
    let seed = 7
    const noise = (n: number) => Buffer.from(Array.from({length: n}, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff))
    const many = Array.from({length: 300}, (_, i) => ({name: `blob/${i}`, data: noise(7000 + i * 37)}))
    const file = await writeBundle({outputDir: dir, baseName: 'big', capture: capture(), extra: many})
    const entries = await tarEntries(file)
    expect(many.reduce((n, e) => n + e.data.length, 0)).toBeGreaterThan(3 * 1024 * 1024)
    for (const e of many) expect(entries.get(`big/${e.name}`)?.data.equals(e.data), e.name).toBe(true)
  })

  it('creates a missing output directory', async () => {
    const nested = path.join(dir, 'a', 'b')
    const file = await writeBundle({outputDir: nested, baseName: 'x', capture: capture(), extra: []})
    expect(path.dirname(file)).toBe(nested)
  })

  it('leaves nothing behind when the archive fails', async () => {
    const broken = [{name: 'report.md', data: 42 as unknown as Buffer}]
    await expect(writeBundle({outputDir: dir, baseName: 'x', capture: capture(), extra: broken})).rejects.toThrow()
    expect(await readdir(dir)).toEqual([])
  })

  it('refuses an output directory that cannot be created, with outputNotWritable', async () => {
    await writeFile(path.join(dir, 'plain-file'), '')
    const error = await writeBundle({outputDir: path.join(dir, 'plain-file', 'out'), baseName: 'x', capture: capture(), extra: []}).catch((e: unknown) => e)
    expect(error).toMatchObject({code: 'E_OUTPUT_NOT_WRITABLE'})
    expect((error as Error).message).toContain('plain-file')
  })
})

describe('writeFileExclusive', () => {
  it('writes a text file beside the bundle without replacing an existing one', async () => {
    const first = await writeFileExclusive({outputDir: dir, baseName: 'r', ext: '.md', data: 'one'})
    const second = await writeFileExclusive({outputDir: dir, baseName: 'r', ext: '.md', data: 'two'})
    expect(path.basename(first)).toBe('r.md')
    expect(path.basename(second)).toBe('r-2.md')
    expect(await readFile(first, 'utf8')).toBe('one')
    expect(await readFile(second, 'utf8')).toBe('two')
    expect((await readdir(dir)).sort()).toEqual(['r-2.md', 'r.md'])
  })
})

describe('ensureWritableDir', () => {
  it('creates missing parents', async () => {
    const nested = path.join(dir, 'a', 'b', 'c')
    await ensureWritableDir(nested)
    expect((await readdir(path.join(dir, 'a', 'b')))).toEqual(['c'])
  })

  it('refuses a directory under /proc with outputNotWritable instead of looping (Node 20 recursive mkdir spins there)', async (ctx) => {
    if (!existsSync('/proc/self')) return ctx.skip()
    await expect(ensureWritableDir('/proc/nestreport-cannot-exist/out')).rejects.toMatchObject({code: 'E_OUTPUT_NOT_WRITABLE', exitCode: 22})
  })

  it('refuses a path whose parent is a file', async () => {
    await writeFile(path.join(dir, 'file'), 'x')
    await expect(ensureWritableDir(path.join(dir, 'file', 'out'))).rejects.toMatchObject({exitCode: 22})
  })
})
