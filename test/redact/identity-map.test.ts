import {mkdtemp, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {EXIT} from '../../src/lib/errors.js'
import {IdentityMap, loadIdentityMap, saveIdentityMap} from '../../src/redact/identity-map.js'
import {exitOf} from '../lib/expect-error.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nestreport-map-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})


describe('redaction map file', () => {
  it('a missing file is an empty map; save writes mode 0600 and round-trips', async () => {
    const file = join(dir, 'map.json')
    const map = await loadIdentityMap(file)
    expect(map.hostname('bigiron7')).toBe('host1')
    expect(map.ipv4('10.20.30.40')).toBe('192.0.2.40')
    expect(map.fqdn('config.corp.example.com', 'corp.example.com')).toBe('host2.domain1.example')
    await saveIdentityMap(map, file)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const again = await loadIdentityMap(file)
    expect(again.hostname('bigiron7')).toBe('host1')
    expect(again.ipv4('10.20.30.99')).toBe('192.0.2.99')
    expect(again.learnedHostnames.has('config')).toBe(true)
    expect(again.hostname('newhost')).toBe('host3')
  })

  it('never hands out a pseudonym that is a real name of the setup', () => {
    const map = new IdentityMap()
    expect(map.hostname('host1')).toBe('host2')
    expect(map.hostname('vm')).toBe('host3')
    const net = new IdentityMap()
    expect(net.ipv4('192.0.2.7')).toBe('198.51.100.7')
  })

  it('refuses malformed, foreign, future, binary and enormous map files with distinct exits', async () => {
    const write = async (name: string, data: string | Buffer) => {
      await writeFile(join(dir, name), data)
      return join(dir, name)
    }
    expect(await exitOf(loadIdentityMap(await write('bad.json', '{"format":')))).toBe(EXIT.malformed)
    expect(await exitOf(loadIdentityMap(await write('other.json', '{"format":"sos"}')))).toBe(EXIT.malformed)
    expect(await exitOf(loadIdentityMap(await write('future.json', '{"format":"nestreport-redact-map","version":9,"tables":{}}')))).toBe(EXIT.schemaVersion)
    expect(await exitOf(loadIdentityMap(await write('table.json', '{"format":"nestreport-redact-map","version":1,"tables":{"hostnames":{"a":1}}}')))).toBe(EXIT.malformed)
    expect(await exitOf(loadIdentityMap(await write('bin.json', Buffer.alloc(4096))))).toBe(EXIT.binaryLog)
  })

  it('cannot save into a directory that does not exist -> outputNotWritable, nothing left behind', async () => {
    expect(await exitOf(saveIdentityMap(new IdentityMap(), join(dir, 'no/such/dir/map.json')))).toBe(EXIT.outputNotWritable)
  })
})
