/**
 * Hand-built tar archives for the hostile-archive tests: each entry is a raw 512-byte header
 * (node-tar's Header.encode does the field layout and checksum, nothing else) plus padded data,
 * so a test can write exactly what an attacker would, including things no archiver produces.
 */
import {gzipSync} from 'node:zlib'

import {Header} from 'tar'

import type {CaptureManifest} from '../../src/capture/types.js'

export interface RawEntry {
  path: string
  /** Regular file by default. */
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'BlockDevice' | 'FIFO'
  data?: Buffer | string
  linkpath?: string
  /** Claim a size different from the data (oversize declarations). */
  declaredSize?: number
}

export function tarHeader(entry: RawEntry, size: number): Buffer {
  const header = new Header({
    path: entry.path,
    type: entry.type ?? 'File',
    size,
    mode: entry.type === 'Directory' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    mtime: new Date(0),
    linkpath: entry.linkpath,
    devmaj: entry.type === 'CharacterDevice' ? 1 : 0,
    devmin: entry.type === 'CharacterDevice' ? 3 : 0,
  })
  const block = Buffer.alloc(512)
  header.encode(block, 0)
  return block
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512)

export function rawTar(entries: RawEntry[], {eof = true} = {}): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    const data = Buffer.from(entry.data ?? '')
    const hasData = (entry.type ?? 'File') === 'File'
    parts.push(tarHeader(entry, entry.declaredSize ?? (hasData ? data.length : 0)))
    if (hasData) parts.push(data, pad(data.length))
  }
  if (eof) parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}

export const gz = (tar: Buffer) => gzipSync(tar)

/** A minimal capture manifest; `overrides` replace top-level fields. */
export function baseManifest(overrides: Partial<CaptureManifest> | Record<string, unknown> = {}): CaptureManifest {
  return {
    format: 'nestreport-capture' as const,
    formatVersion: 1,
    producer: {name: 'nestreport', version: '0.1.0'},
    source: 'live',
    startedAt: '2026-11-25T10:00:00.000Z',
    finishedAt: '2026-11-25T10:00:01.000Z',
    hostname: 'vm',
    arch: 'x86_64',
    user: {uid: 0, root: true},
    timeoutSeconds: 10,
    entries: [{kind: 'file', id: '/proc/cpuinfo', group: 'cpu', status: 'ok', durationMs: 1, stored: 'root/proc/cpuinfo'}],
    ...overrides,
  } as CaptureManifest
}

export const manifestJson = (overrides: Record<string, unknown> = {}) => JSON.stringify(baseManifest(overrides))

/** Entries of a well-formed bundle under `top/`. */
export function goodEntries(top = 'nestreport-L1-vm-20261125T100000Z'): RawEntry[] {
  return [
    {path: `${top}/`, type: 'Directory'},
    {path: `${top}/manifest.json`, data: manifestJson()},
    {path: `${top}/root/proc/cpuinfo`, data: 'processor\t: 0\nflags\t\t: fpu vme hypervisor\n'},
    {path: `${top}/commands/uname.out`, data: 'Linux vm 6.18.44-fc-v657 #1 SMP x86_64 GNU/Linux\n'},
  ]
}
