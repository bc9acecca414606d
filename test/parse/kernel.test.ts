import {describe, expect, it} from 'vitest'

import {CaptureView} from '../../src/capture/view.js'
import {parseKernel, parseOsRelease, taintFlags} from '../../src/parse/kernel.js'
import {captureOf, loadFixtureCapture} from '../helpers/load-capture.js'

describe('parseKernel', () => {
  it('reads release, version, cmdline, taint and os-release of the pvm-l1 capture', () => {
    const k = parseKernel(new CaptureView(loadFixtureCapture('pvm-l1')))
    expect(k.release.source).toBe('/proc/sys/kernel/osrelease')
    expect(k.version.value).toMatch(/^Linux version /)
    expect(k.cmdline.value).toContain('nested_pvm=1')
    expect(k.tainted).toEqual({value: 0, source: '/proc/sys/kernel/tainted', flags: []})
    expect(k.os).toMatchObject({id: 'debian', versionId: '12', source: '/etc/os-release'})
    expect(k.hostname.value).toBeTruthy()
  })

  it('decodes taint bits in kernel order (W + O + E = 512 + 4096 + 8192)', () => {
    expect(taintFlags(512 + 4096 + 8192).map((f) => f.letter)).toEqual(['W', 'O', 'E'])
    expect(taintFlags(1 << 7).map((f) => f.name)).toEqual(['DIE'])
    // FWCTL (J, bit 19, 6.15+), and a bit newer than this table is shown, not dropped.
    expect(taintFlags(2 ** 19).map((f) => f.letter)).toEqual(['J'])
    expect(taintFlags(2 ** 24 + 1).map((f) => f.name)).toEqual(['PROPRIETARY_MODULE', 'BIT_24'])
  })

  it('falls back to /proc/version and uname for the release, and tolerates a garbled taint file', () => {
    const k = parseKernel(
      new CaptureView(
        captureOf({
          files: {'/proc/version': 'Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org) #1 SMP\n', '/proc/sys/kernel/tainted': 'garbage\n'},
        }),
      ),
    )
    expect(k.release).toEqual({value: '6.1.0-56-amd64', source: '/proc/version'})
    expect(k.tainted.value).toBeNull()
    const u = parseKernel(new CaptureView(captureOf({commands: {uname: 'Linux l0 6.8.0-45-generic #45-Ubuntu SMP x86_64 GNU/Linux\n'}})))
    expect(u.release).toEqual({value: '6.8.0-45-generic', source: 'command:uname'})
  })

  it('parses os-release quoting', () => {
    expect(parseOsRelease('PRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu\nVERSION_ID=\'24.04\'\n# comment\n')).toEqual({
      PRETTY_NAME: 'Ubuntu 24.04.1 LTS',
      ID: 'ubuntu',
      VERSION_ID: '24.04',
    })
  })
})
