import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {createGzip} from 'node:zlib'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {readBundle} from '../../src/bundle/read.js'
import {writeBundle} from '../../src/bundle/write.js'
import {EXIT} from '../../src/lib/errors.js'
import {rejection} from '../lib/expect-error.js'
import {l1Capture} from '../redact/corpus.js'
import {goodEntries, gz, manifestJson, rawTar, tarHeader} from './tar-builder.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nestreport-read-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function put(name: string, data: Buffer | string): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, data)
  return file
}

const failure = (file: string, limits = {}) => rejection(readBundle(file, limits))

const TOP = 'nestreport-L1-vm-20261125T100000Z'

describe('readBundle on a good bundle', () => {
  it('reads the capture, strips the top directory, and keeps report files apart', async () => {
    const report = {schema: 'nestreport/level', schemaVersion: 1}
    const file = await put(
      'ok.tar.gz',
      gz(rawTar([...goodEntries(TOP), {path: `${TOP}/report.md`, data: '# report\n'}, {path: `${TOP}/report.json`, data: JSON.stringify(report)}])),
    )
    const bundle = await readBundle(file)
    expect(bundle.topDir).toBe(TOP)
    expect(bundle.capture.manifest.hostname).toBe('vm')
    expect(bundle.capture.files.get('/proc/cpuinfo')?.toString()).toContain('hypervisor')
    expect(bundle.capture.commands.get('uname')?.stdout.toString()).toContain('6.18.44-fc-v657')
    expect(bundle.report).toEqual({md: '# report\n', json: report})
    expect(bundle.other.size).toBe(0)
  })

  it('reads a script capture (plain tar, no report, entries at the root with ./)', async () => {
    const file = await put(
      'script.tar',
      rawTar([
        {path: './', type: 'Directory'},
        {path: './manifest.json', data: manifestJson({source: 'script'})},
        {path: './root/proc/cpuinfo', data: 'flags : fpu\n'},
      ]),
    )
    const bundle = await readBundle(file)
    expect(bundle.topDir).toBe('')
    expect(bundle.report).toBeUndefined()
    expect(bundle.capture.manifest.source).toBe('script')
    expect([...bundle.capture.files.keys()]).toEqual(['/proc/cpuinfo'])
  })
})

describe('readBundle reads what the writers produce', () => {
  const LONG = `/sys/module/kvm_pvm/parameters/${'a_very_long_parameter_name_'.repeat(8)}end`

  it('a bundle from writeBundle (archiver), with a path longer than ustar allows and a tab in a name', async () => {
    const capture = l1Capture()
    capture.files.set(LONG, Buffer.from('Y\n'))
    // Legal, if odd, Linux file names come through.
    capture.files.set('/etc/modprobe.d/tab\there.conf', Buffer.from('options kvm_intel nested=1\n'))
    const file = await writeBundle({outputDir: dir, baseName: 'nestreport-L1-vm-20261125T100000Z', capture, extra: [{name: 'report.md', data: Buffer.from('# r\n')}]})
    const bundle = await readBundle(file)
    expect(bundle.capture.files.get(LONG)?.toString()).toBe('Y\n')
    expect(bundle.capture.files.get('/etc/modprobe.d/tab\there.conf')?.toString()).toContain('nested=1')
    expect(bundle.capture.files.size).toBe(capture.files.size)
    expect(bundle.report?.md).toBe('# r\n')
  })

  it('a capture made by GNU tar (long names as ././@LongLink entries)', async () => {
    const top = join(dir, 'capture')
    await mkdir(join(top, 'root', dirname(LONG)), {recursive: true})
    await writeFile(join(top, 'manifest.json'), manifestJson({source: 'script'}))
    await writeFile(join(top, 'root', LONG), 'N\n')
    execFileSync('tar', ['--format=gnu', '-czf', join(dir, 'script.tar.gz'), '-C', dir, 'capture'])
    const bundle = await readBundle(join(dir, 'script.tar.gz'))
    expect(bundle.topDir).toBe('capture')
    expect(bundle.capture.files.get(LONG)?.toString()).toBe('N\n')
  })
})

describe('readBundle refuses hostile archives', () => {
  const cases: Array<{name: string; kind: keyof typeof EXIT; archive: () => Buffer; names?: string}> = [
    {name: 'path traversal', kind: 'unsafePath', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/../../x`, data: 'pwned'}])), names: '../../x'},
    {name: 'absolute path', kind: 'unsafePath', archive: () => gz(rawTar([{path: '/etc/x', data: 'pwned'}, ...goodEntries(TOP)])), names: '/etc/x'},
    {name: 'symlink', kind: 'linkEntry', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/etc/os-release`, type: 'SymbolicLink', linkpath: '/etc/shadow'}])), names: 'symbolic link'},
    {name: 'hard link', kind: 'linkEntry', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/x`, type: 'Link', linkpath: `${TOP}/manifest.json`}])), names: 'hard link'},
    {name: 'character device', kind: 'specialEntry', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/dev/kvm`, type: 'CharacterDevice'}])), names: 'character device'},
    {name: 'fifo', kind: 'specialEntry', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/fifo`, type: 'FIFO'}])), names: 'fifo'},
    {name: 'duplicate entry', kind: 'duplicateEntry', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/manifest.json`, data: manifestJson({hostname: 'evil'})}])), names: 'twice'},
    {name: 'duplicate entry spelled differently', kind: 'duplicateEntry', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}//root/./proc/cpuinfo`, data: 'x'}])), names: 'twice'},
    {name: 'oversize entry (declared)', kind: 'oversize', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/big`, data: 'x', declaredSize: 100 * 1024 * 1024}], {eof: false})), names: '64 MiB'},
    {name: 'truncated gzip', kind: 'truncated', archive: () => {
      const full = gz(rawTar(goodEntries(TOP)))
      return full.subarray(0, full.length - 20)
    }},
    {name: 'truncated tar inside entry', kind: 'truncated', archive: () => {
      const tar = rawTar([...goodEntries(TOP), {path: `${TOP}/root/var/log/kern.log`, data: 'x'.repeat(5000)}], {eof: false})
      return gz(tar.subarray(0, tar.length - 3000))
    }},
    {name: 'tar without end marker', kind: 'truncated', archive: () => gz(rawTar(goodEntries(TOP), {eof: false}))},
    {name: 'plain text file', kind: 'notAnArchive', archive: () => Buffer.from('this is a kernel log, not a bundle\n'.repeat(40))},
    {name: 'gzipped text', kind: 'notAnArchive', archive: () => gz(Buffer.from('[    0.000000] Linux version 6.18\n'.repeat(40)))},
    {name: 'xz file', kind: 'notAnArchive', archive: () => Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]), names: 'xz'},
    {name: 'zero bytes', kind: 'notAnArchive', archive: () => Buffer.alloc(0), names: 'empty'},
    {name: 'gzip inside gzip', kind: 'notAnArchive', archive: () => gz(gz(rawTar(goodEntries(TOP))))},
    {name: 'report.json from the future', kind: 'schemaVersion', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/report.json`, data: JSON.stringify({schema: 'nestreport/level', schemaVersion: 99})}])), names: '99'},
    {name: 'report.json of another schema', kind: 'schemaVersion', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/report.json`, data: JSON.stringify({schema: 'nestreport/combined', schemaVersion: 1})}])), names: 'nestreport/combined'},
    {name: 'a combined report archive', kind: 'schemaVersion', archive: () => gz(rawTar([{path: 'nestreport-report-20261125T100000Z/report.json', data: JSON.stringify({schema: 'nestreport/combined', schemaVersion: 1})}, {path: 'nestreport-report-20261125T100000Z/L1/manifest.json', data: manifestJson()}])), names: 'combined report'},
    {name: 'report.json of a foreign schema', kind: 'schemaVersion', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/report.json`, data: JSON.stringify({schema: 'sos/report', schemaVersion: 1})}])), names: 'sos/report'},
    {name: 'manifest from the future', kind: 'schemaVersion', archive: () => gz(rawTar([{path: `${TOP}/manifest.json`, data: manifestJson({formatVersion: 7})}])), names: '7'},
    {name: 'malformed manifest JSON', kind: 'malformed', archive: () => gz(rawTar([{path: `${TOP}/manifest.json`, data: '{"format": "nestreport-capture",'}])), names: 'manifest.json'},
    {name: 'JSON nested a million deep', kind: 'malformed', archive: () => gz(rawTar([{path: `${TOP}/manifest.json`, data: manifestJson({x: 'DEEP'}).replace('"DEEP"', `${'['.repeat(1e6)}${']'.repeat(1e6)}`)}])), names: 'nested'},
    {name: 'malformed report JSON', kind: 'malformed', archive: () => gz(rawTar([...goodEntries(TOP), {path: `${TOP}/report.json`, data: '{schema'}])), names: 'report.json'},
    {name: 'no manifest', kind: 'malformed', archive: () => gz(rawTar([{path: `${TOP}/root/proc/cpuinfo`, data: 'x'}])), names: 'manifest.json'},
    {name: 'two top directories', kind: 'malformed', archive: () => gz(rawTar([...goodEntries(TOP), {path: 'other/root/x', data: 'x'}])), names: 'top directory'},
  ]

  for (const c of cases) {
    it(`${c.name} -> ${c.kind} (exit ${EXIT[c.kind]}), nothing written`, async () => {
      const file = await put('bundle.tar.gz', c.archive())
      const before = await readdir(dir, {recursive: true})
      const error = await failure(file)
      expect(error.exitCode).toBe(EXIT[c.kind])
      if (c.names) expect(error.message).toContain(c.names)
      expect(await readdir(dir, {recursive: true})).toEqual(before)
    })
  }

  it('missing file -> inputMissing', async () => {
    const error = await failure(join(dir, 'nope.tar.gz'))
    expect(error.exitCode).toBe(EXIT.inputMissing)
  })

  it('a directory -> notAnArchive', async () => {
    expect((await failure(dir)).exitCode).toBe(EXIT.notAnArchive)
  })

  it('an entry over a custom size limit -> oversize, naming the entry', async () => {
    const file = await put('big.tar.gz', gz(rawTar([...goodEntries(TOP), {path: `${TOP}/root/big`, data: Buffer.alloc(300 * 1024)}])))
    const error = await failure(file, {maxEntryBytes: 256 * 1024})
    expect(error.exitCode).toBe(EXIT.oversize)
    expect(error.message).toContain('root/big')
  })

  it('too many entries -> oversize', async () => {
    const many = Array.from({length: 30}, (_, i) => ({path: `${TOP}/root/f${i}`, data: 'x'}))
    const file = await put('many.tar.gz', gz(rawTar([...goodEntries(TOP), ...many])))
    expect((await failure(file, {maxEntries: 20})).exitCode).toBe(EXIT.oversize)
  })

  it('gzip bomb: stops once the uncompressed total passes the limit, long before the end', async () => {
    // 8 entries of 48 MiB of zeros, each under the 64 MiB entry limit: 384 MiB uncompressed from
    // about 380 KiB of gzip. With a 32 MiB total limit the reader must give up after ~32 MiB.
    const chunks: Buffer[] = []
    const gzip = createGzip({level: 9})
    gzip.on('data', (c: Buffer) => chunks.push(c))
    const done = new Promise((resolve) => gzip.on('end', resolve))
    const zeros = Buffer.alloc(1024 * 1024)
    gzip.write(tarHeader({path: `${TOP}/manifest.json`}, 0))
    for (let e = 0; e < 8; e++) {
      gzip.write(tarHeader({path: `${TOP}/root/zero${e}`}, 48 * 1024 * 1024))
      for (let i = 0; i < 48; i++) gzip.write(zeros)
    }
    gzip.end(Buffer.alloc(1024))
    await done
    const bomb = Buffer.concat(chunks)
    expect(bomb.length).toBeLessThan(1024 * 1024)
    const file = await put('bomb.tar.gz', bomb)
    const started = process.memoryUsage().rss
    const error = await failure(file, {maxTotalBytes: 32 * 1024 * 1024})
    expect(error.exitCode).toBe(EXIT.oversize)
    expect(error.message).toContain('gzip bomb')
    // Memory stays near the limit, not the 384 MiB the bomb expands to.
    expect(process.memoryUsage().rss - started).toBeLessThan(200 * 1024 * 1024)
  })
})
