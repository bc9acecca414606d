/**
 * The redaction map: which real value became which pseudonym. It is what makes pseudonyms agree
 * within a bundle and across the L0, L1 and L2 bundles of one setup (`--redact-map FILE` at each
 * level), and it is private: kept on the user's machine (JSON, mode 0600), never put in a bundle.
 *
 * Pseudonyms come from ranges that identify nobody: host1, domain1.example, user1, documentation
 * IPv4 networks (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, then 198.18.0.0/15), 2001:db8::/32,
 * locally administered MACs 02:00:00:xx:xx:xx, and UUIDs 00000000-0000-4000-8000-<n>.
 */
import {randomBytes} from 'node:crypto'
import {rename, rm, stat, writeFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {NestreportError} from '../lib/errors.js'
import {readTextInput} from '../lib/read-input.js'
import {expandIpv6} from './tokenizer.js'

export const MAP_FORMAT = 'nestreport-redact-map'
export const MAP_VERSION = 1
/** A map of a large setup is some KB; anything near this is not a map. */
const MAX_MAP_BYTES = 64 * 1024 * 1024

export const MAP_TABLES = ['hostnames', 'domains', 'usernames', 'serials', 'machineIds', 'ipv4Networks', 'ipv6Networks', 'ipv6', 'macs', 'uuids'] as const
export type MapTable = (typeof MAP_TABLES)[number]

export interface RedactMapFile {
  format: typeof MAP_FORMAT
  version: number
  note: string
  tables: Record<MapTable, Record<string, string>>
  /**
   * Host names met only as the first label of a name under a known domain (`config` of
   * config.corp.example.com): mapped like the others, but not matched on their own elsewhere,
   * since nothing says the bare word is a host name.
   */
  learnedHostnames?: string[]
}

const IPV4_POOL: string[] = ['192.0.2', '198.51.100', '203.0.113']
for (let b = 18; b <= 19; b++) for (let c = 0; c < 256; c++) IPV4_POOL.push(`198.${b}.${c}`)

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

export class IdentityMap {
  readonly tables: Record<MapTable, Map<string, string>>
  /** See RedactMapFile.learnedHostnames. */
  readonly learnedHostnames: Set<string>
  /** Every pseudonym handed out, to leave them alone on a second pass. */
  private readonly values = new Set<string>()

  constructor(file?: RedactMapFile) {
    this.tables = Object.fromEntries(MAP_TABLES.map((t) => [t, new Map(Object.entries(file?.tables?.[t] ?? {}))])) as Record<MapTable, Map<string, string>>
    this.learnedHostnames = new Set(file?.learnedHostnames ?? [])
    for (const table of MAP_TABLES) for (const v of this.tables[table].values()) this.values.add(v.toLowerCase())
  }

  isPseudonym(value: string): boolean {
    return this.values.has(value.toLowerCase())
  }

  /**
   * Values the tokenizer must leave alone because they are pseudonyms already: IPv4 by their /24
   * network (only networks are stored), MACs in colon form, the rest as handed out. Live: it
   * grows as pseudonyms are handed out.
   */
  pseudonymSet(): ReadonlySet<string> {
    return this.values
  }

  /** Pseudonym for `real` in `table`, handed out on first sight. */
  get(table: MapTable, real: string, make: (n: number) => string): string {
    const key = real.toLowerCase()
    const known = this.tables[table].get(key)
    if (known) return known
    let n = this.tables[table].size + 1
    let candidate = make(n)
    // Never hand out a value that is somebody's real name: the output would be ambiguous.
    while (candidate.toLowerCase() === key || this.tables[table].has(candidate.toLowerCase()) || this.values.has(candidate.toLowerCase())) candidate = make(++n)
    this.tables[table].set(key, candidate)
    this.values.add(candidate.toLowerCase())
    return candidate
  }

  hostname(real: string): string {
    return this.get('hostnames', real, (n) => `host${n}`)
  }

  /** A name seen as a host name in its own right: no longer only learned from a FQDN. */
  confirmHostname(real: string): void {
    this.learnedHostnames.delete(real.toLowerCase())
  }

  domain(real: string): string {
    return this.get('domains', real, (n) => `domain${n}.example`)
  }

  /** A name under a known domain: host part and domain mapped separately, so they stay related. */
  fqdn(real: string, domain: string): string {
    const host = real.slice(0, real.length - domain.length - 1).toLowerCase()
    if (!this.tables.hostnames.has(host)) this.learnedHostnames.add(host)
    return `${this.hostname(host)}.${this.domain(domain)}`
  }

  username(real: string): string {
    return this.get('usernames', real, (n) => `user${n}`)
  }

  serial(real: string): string {
    return this.get('serials', real, (n) => `serial${n}`)
  }

  machineId(real: string): string {
    return this.get('machineIds', real, (n) => hex(n, 32))
  }

  /** The /24 network is mapped and the host octet kept, so ranges and /24+ CIDRs stay coherent. */
  ipv4(real: string): string {
    const octets = real.split('.')
    const network = octets.slice(0, 3).join('.')
    const mapped = this.get('ipv4Networks', network, (n) => {
      // Skip pool networks that are themselves real networks of this setup.
      const free = IPV4_POOL.filter((p) => p !== network && !this.tables.ipv4Networks.has(p))
      return free[n - 1] ?? `198.19.255`
    })
    return `${mapped}.${octets[3]}`
  }

  /** The /64 prefix maps to 2001:db8:0:N; each address gets its own interface id (it may hold a MAC). */
  ipv6(real: string): string {
    const groups = expandIpv6(real)
    const prefix = groups[0].startsWith('fe8') ? 'fe80' : this.get('ipv6Networks', groups.slice(0, 4).join(':'), (n) => `2001:db8:0:${hex(n, 1)}`)
    const inPrefix = [...this.tables.ipv6.values()].filter((v) => v.startsWith(`${prefix}::`)).length
    // get() numbers candidates from the table size + 1 (and counts up past taken ones); number
    // within the prefix instead.
    const base = this.tables.ipv6.size
    return this.get('ipv6', groups.join(':'), (n) => `${prefix}::${hex(inPrefix + n - base, 1)}`)
  }

  mac(real: string): string {
    const separator = real.includes('-') ? '-' : ':'
    const key = real.toLowerCase().replaceAll('-', ':')
    const mapped = this.get('macs', key, (n) => `02:00:00:${hex((n >> 16) & 0xff, 2)}:${hex((n >> 8) & 0xff, 2)}:${hex(n & 0xff, 2)}`)
    return mapped.replaceAll(':', separator)
  }

  uuid(real: string): string {
    return this.get('uuids', real, (n) => `00000000-0000-4000-8000-${hex(n, 12)}`)
  }

  toFile(): RedactMapFile {
    return {
      format: MAP_FORMAT,
      version: MAP_VERSION,
      note: 'Private: real names and addresses and their pseudonyms. Keep it; never send it with a bundle.',
      tables: Object.fromEntries(MAP_TABLES.map((t) => [t, Object.fromEntries([...this.tables[t]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))])) as RedactMapFile['tables'],
      learnedHostnames: [...this.learnedHostnames].sort(),
    }
  }
}

/** Load a map file; a missing file is an empty map (it is created on save). */
export async function loadIdentityMap(path: string): Promise<IdentityMap> {
  const exists = await stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => error.code !== 'ENOENT',
  )
  if (!exists) return new IdentityMap()
  const text = await readTextInput(path, {maxBytes: MAX_MAP_BYTES})
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw new NestreportError('malformed', `${path}: redaction map is not valid JSON (${(error as Error).message})`)
  }
  const file = parsed as Partial<RedactMapFile>
  if (!file || typeof file !== 'object' || file.format !== MAP_FORMAT || typeof file.tables !== 'object' || file.tables === null) {
    throw new NestreportError('malformed', `${path}: not a nestreport redaction map`)
  }
  if (typeof file.version !== 'number' || file.version > MAP_VERSION) {
    throw new NestreportError('schemaVersion', `${path}: redaction map version ${JSON.stringify(file.version)} is newer than this nestreport reads (${MAP_VERSION})`)
  }
  if (file.learnedHostnames !== undefined && (!Array.isArray(file.learnedHostnames) || file.learnedHostnames.some((h) => typeof h !== 'string'))) {
    throw new NestreportError('malformed', `${path}: redaction map learnedHostnames is not a list of names`)
  }
  for (const table of MAP_TABLES) {
    const t = (file.tables as Record<string, unknown>)[table]
    if (t !== undefined && (typeof t !== 'object' || t === null || Object.values(t).some((v) => typeof v !== 'string'))) {
      throw new NestreportError('malformed', `${path}: redaction map table ${table} is not a string map`)
    }
  }
  return new IdentityMap(file as RedactMapFile)
}

/** Save atomically with mode 0600: a temporary file beside it, then rename over the old map. */
export async function saveIdentityMap(map: IdentityMap, path: string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await writeFile(temp, `${JSON.stringify(map.toFile(), null, 2)}\n`, {mode: 0o600, flag: 'wx'})
    await rename(temp, path)
  } catch (error) {
    await rm(temp, {force: true})
    const e = error as NodeJS.ErrnoException
    if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'ENOENT' || e.code === 'EROFS') {
      throw new NestreportError('outputNotWritable', `${path}: cannot write the redaction map (${e.message.split('\n')[0]})`)
    }
    throw error
  }
}
