import {closeSync, existsSync, openSync, readdirSync, readFileSync, readSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {cpuinfoMachine, elfMachine} from '../../src/capture/sysroot-arch.js'

/** An ELF header with the given class (64-bit?), byte order (little?) and e_machine. */
function header(is64: boolean, little: boolean, machine: number): Buffer {
  const h = Buffer.alloc(20)
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, little ? 1 : 2, 1]).copy(h)
  if (little) h.writeUInt16LE(machine, 18)
  else h.writeUInt16BE(machine, 18)
  return h
}

function head(file: string, length: number): Buffer {
  const fd = openSync(file, 'r')
  try {
    const buffer = Buffer.alloc(length)
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0))
  } finally {
    closeSync(fd)
  }
}

describe('elfMachine', () => {
  it('names this machine as uname -m does, from the header of the node binary', () => {
    expect(elfMachine(head(process.execPath, 20))).toBe(os.machine())
  })

  it('tells the architectures apart by e_machine, class and byte order', () => {
    expect(elfMachine(header(true, true, 62))).toBe('x86_64')
    expect(elfMachine(header(false, true, 3))).toBe('i686')
    expect(elfMachine(header(true, true, 183))).toBe('aarch64')
    expect(elfMachine(header(true, false, 22))).toBe('s390x')
    expect(elfMachine(header(true, true, 21))).toBe('ppc64le')
    expect(elfMachine(header(true, false, 21))).toBe('ppc64')
    expect(elfMachine(header(true, true, 243))).toBe('riscv64')
  })

  it('refuses what is not an ELF header, or one it does not know', () => {
    expect(elfMachine(Buffer.from('#!/bin/sh\necho not elf\n'))).toBeNull()
    expect(elfMachine(header(true, true, 62).subarray(0, 10))).toBeNull()
    expect(elfMachine(header(true, true, 9999))).toBeNull()
  })
})

describe('cpuinfoMachine', () => {
  it('says x86_64 for the cpuinfo of every x86 fixture (all have the lm flag)', () => {
    const fixtures = path.join(import.meta.dirname, '..', 'fixtures', 'sysroots')
    const cpuinfos = readdirSync(fixtures)
      .map((name) => path.join(fixtures, name, 'root', 'proc', 'cpuinfo'))
      .filter((file) => existsSync(file))
    for (const file of cpuinfos) expect(cpuinfoMachine(readFileSync(file, 'utf8')), file).toBe('x86_64')
    const checked = cpuinfos
    expect(checked.length).toBeGreaterThan(5)
  })

  it('recognises arm64, s390x and POWER by their own fields', () => {
    expect(cpuinfoMachine('processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU implementer\t: 0x41\n')).toBe('aarch64')
    expect(cpuinfoMachine('vendor_id       : IBM/S390\n# processors    : 4\n')).toBe('s390x')
    expect(cpuinfoMachine('processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\n')).toBe('ppc64le')
    expect(cpuinfoMachine('processor\t: 0\n')).toBeNull()
  })
})
