/**
 * Identity redaction (`--redact`): host and domain names, addresses, MACs, DMI serials and UUIDs,
 * machine-id, user names and home paths become consistent pseudonyms from the redaction map.
 *
 * Names are seeded from the capture itself (like sos's preppers) and from the map, which carries
 * the names of the other levels of the setup, so L1's bundle hides L0's host name too when the same
 * map is used. Addresses and UUIDs need no seed: they are recognised by shape.
 */
import type {Capture} from '../capture/types.js'
import type {IdentityMap} from './identity-map.js'
import {emptySeeds, replaceTokens, type Seeds, type Token, Tokenizer} from './tokenizer.js'

export interface IdentitySeeds {
  hostnames: Set<string>
  /** Host names known only from FQDNs under a known domain: matched where they stand as host names. */
  learnedHostnames: Set<string>
  domains: Set<string>
  usernames: Set<string>
  serials: Set<string>
  machineIds: Set<string>
}

export function emptyIdentitySeeds(): IdentitySeeds {
  return {hostnames: new Set(), learnedHostnames: new Set(), domains: new Set(), usernames: new Set(), serials: new Set(), machineIds: new Set()}
}

/** Not anybody's name: left alone. */
const NOT_A_HOSTNAME = new Set(['', 'localhost', 'localhost.localdomain', 'localdomain', '(none)', 'none', 'unknown', '(unknown)'])
const SYSTEM_USERS = new Set(['root', 'nobody', 'qemu', 'libvirt-qemu', 'libvirt', 'libvirt-dnsmasq', 'daemon', 'bin', 'sys', 'messagebus', 'www-data', '_apt', 'systemd-network', 'systemd-resolve', 'systemd-timesync', 'polkitd', 'sshd'])
const NOT_A_SERIAL =
  /^(?:|0+|none|n\/a|not specified|not applicable|not present|to be filled by o\.e\.m\.|default string|system serial number|chassis serial number|serial number|0123456789|123456789|no asset tag|asset tag|unknown|empty)$/i

/**
 * Names that are also everyday technical words: matched only where they stand as names, never
 * across the text (a host called `debian` must not turn `ID=debian` into `ID=host1`).
 */
const AMBIGUOUS_NAMES = new Set([
  'debian', 'ubuntu', 'fedora', 'centos', 'rocky', 'almalinux', 'alpine', 'archlinux', 'opensuse', 'linux', 'guest', 'server', 'client',
  'worker', 'master', 'control', 'compute', 'router', 'gateway', 'default', 'kernel', 'libvirt', 'docker', 'container', 'virtual',
  'machine', 'testing', 'builder', 'runner', 'admin', 'nested', 'local', 'storage', 'backup', 'proxmox', 'ubuntu-server', 'raspberrypi',
])

/** What pseudonyms look like (identity-map.ts hands them out). */
const PSEUDONYM_SHAPE = /^(?:host\d+|domain\d+\.example|user\d+|serial\d+|0{16}[0-9a-f]{16})$/

/** A name short or common enough to collide with technical words (kvm, vm, node, host, debian). */
function isAmbiguousName(name: string): boolean {
  return name.length < 5 || AMBIGUOUS_NAMES.has(name) || /^\d+$/.test(name)
}

const firstLine = (buf: Buffer | undefined) => (buf ? buf.toString('utf8').split('\n')[0].trim() : '')

const DMI_IDENTITY_FILES = ['product_serial', 'board_serial', 'chassis_serial', 'board_asset_tag', 'chassis_asset_tag']

/** Names this capture reveals about its own machine and users. */
export function collectIdentitySeeds(capture: Capture, into: IdentitySeeds = emptyIdentitySeeds()): IdentitySeeds {
  const addHost = (name: string) => {
    const h = name.trim().toLowerCase().replace(/\.$/, '')
    if (!NOT_A_HOSTNAME.has(h) && /^[a-z0-9][a-z0-9.-]*$/.test(h)) into.hostnames.add(h)
  }
  addHost(capture.manifest.hostname ?? '')
  addHost(firstLine(capture.files.get('/proc/sys/kernel/hostname')))
  addHost(firstLine(capture.files.get('/etc/hostname')))
  const domain = firstLine(capture.files.get('/proc/sys/kernel/domainname')).toLowerCase()
  if (!NOT_A_HOSTNAME.has(domain) && domain.includes('.')) into.domains.add(domain)
  const uname = /^\S+ (\S+) /.exec(capture.commands.get('uname')?.stdout.toString('utf8') ?? '')
  if (uname) addHost(uname[1])

  for (const [path, data] of capture.files) {
    scanUsernames(path, into)
    if (/^\/var\/log\/libvirt\/.*\.log$/.test(path)) {
      for (const m of data.toString('utf8').matchAll(/\bhostname: (\S+)/g)) addHost(m[1])
    }
    if (path === '/etc/machine-id' || path === '/var/lib/dbus/machine-id') {
      const id = firstLine(data).toLowerCase()
      if (/^[0-9a-f]{32}$/.test(id)) into.machineIds.add(id)
    }
    const dmi = /^\/sys\/class\/dmi\/id\/(\w+)$/.exec(path)
    if (dmi && DMI_IDENTITY_FILES.includes(dmi[1])) addSerial(firstLine(data), into)
    scanUsernames(data.toString('latin1'), into)
  }
  for (const out of capture.commands.values()) scanUsernames(out.stdout.toString('latin1'), into)
  const dmidecode = capture.commands.get('dmidecode')?.stdout.toString('utf8') ?? ''
  for (const m of dmidecode.matchAll(/^\s*(?:Serial Number|Asset Tag):\s*(.+?)\s*$/gm)) addSerial(m[1], into)
  return into
}

function addSerial(value: string, into: IdentitySeeds): void {
  if (!NOT_A_SERIAL.test(value.trim())) into.serials.add(value.trim().toLowerCase())
}

function scanUsernames(text: string, into: IdentitySeeds): void {
  if (!text.includes('/home/') && !text.includes('USER=') && !text.includes('LOGNAME=')) return
  for (const m of text.matchAll(/\/home\/([A-Za-z_][A-Za-z0-9_.-]*)|\b(?:USER|LOGNAME|SUDO_USER)=["']?([A-Za-z_][A-Za-z0-9_.-]*)/g)) {
    const user = (m[1] ?? m[2]).toLowerCase()
    if (!SYSTEM_USERS.has(user)) into.usernames.add(user)
  }
}

/** The names already in the map (other levels of the same setup). */
export function seedsFromMap(map: IdentityMap, into: IdentitySeeds = emptyIdentitySeeds()): IdentitySeeds {
  for (const h of map.tables.hostnames.keys()) (map.learnedHostnames.has(h) ? into.learnedHostnames : into.hostnames).add(h)
  for (const d of map.tables.domains.keys()) into.domains.add(d)
  for (const u of map.tables.usernames.keys()) into.usernames.add(u)
  for (const s of map.tables.serials.keys()) into.serials.add(s)
  for (const id of map.tables.machineIds.keys()) into.machineIds.add(id)
  return into
}

export interface RedactTextOptions {
  /** The whole text is a single value known to be a name (a hostname file, a DMI file, manifest.hostname). */
  exact?: boolean
}

/** Identity redaction of text with one map and one set of seeds. */
export class IdentityRedactor {
  private readonly tokenizer: Tokenizer
  /** Values replaced when they are the whole of a text known to hold a name. */
  private readonly exactValues = new Map<string, Token['kind']>()

  constructor(
    private readonly map: IdentityMap,
    seeds: IdentitySeeds,
  ) {
    this.tokenizer = new Tokenizer(this.buildSeeds(seeds))
  }

  private buildSeeds(input: IdentitySeeds): Seeds {
    const seeds = emptySeeds()
    seeds.pseudonyms = this.map.pseudonymSet()
    // A redacted capture seeds pseudonyms (manifest.hostname "host1.domain1.example"): skip them,
    // by the map or by their shape when the map is not at hand.
    const fresh = (v: string) => !this.map.isPseudonym(v) && !PSEUDONYM_SHAPE.test(v)
    for (const domain of input.domains) if (fresh(domain)) seeds.domains.add(domain)
    for (const host of input.hostnames) {
      const dot = host.indexOf('.')
      const label = dot > 0 ? host.slice(0, dot) : host
      const domain = dot > 0 ? host.slice(dot + 1) : ''
      // Hand out pseudonyms in seed order, so the captured machine itself is host1 in a fresh map.
      if (fresh(label)) {
        this.map.confirmHostname(label)
        this.map.hostname(label)
        this.addName(label, 'hostname', seeds)
      }
      if (domain && fresh(domain)) {
        if (domain.includes('.')) {
          this.map.domain(domain)
          seeds.domains.add(domain)
        } else if (fresh(label)) {
          seeds.anywhere.set(host, 'hostname')
        }
      }
    }
    for (const host of input.learnedHostnames) {
      if (!input.hostnames.has(host) && fresh(host)) {
        this.exactValues.set(host, 'hostname')
        seeds.positionalHosts.add(host)
      }
    }
    for (const user of input.usernames) if (fresh(user)) this.addName(user, 'username', seeds)
    for (const serial of input.serials) {
      if (!fresh(serial)) continue
      if (serial.length >= 6 && /\d/.test(serial) && /^[\w.:/-]+$/.test(serial)) seeds.anywhere.set(serial, 'serial')
      else this.exactValues.set(serial, 'serial')
    }
    for (const id of input.machineIds) if (fresh(id)) seeds.anywhere.set(id, 'machineId')
    return seeds
  }

  private addName(name: string, kind: 'hostname' | 'username', seeds: Seeds): void {
    this.exactValues.set(name, kind)
    if (!isAmbiguousName(name)) seeds.anywhere.set(name, kind)
    else if (kind === 'hostname') seeds.positionalHosts.add(name)
    else seeds.positionalUsers.add(name)
  }

  redact(text: string, options: RedactTextOptions = {}): string {
    if (options.exact) {
      const trimmed = text.trim()
      const kind = this.exactValues.get(trimmed.toLowerCase())
      if (kind && trimmed.length > 0) {
        const start = text.indexOf(trimmed)
        return replaceTokens(text, [{start, end: start + trimmed.length, kind, value: trimmed}], (t) => this.pseudonym(t))
      }
    }
    return replaceTokens(text, this.tokenizer.tokens(text), (t) => this.pseudonym(t))
  }

  tokens(text: string): Token[] {
    return this.tokenizer.tokens(text)
  }

  pseudonym(token: Token): string {
    const m = this.map
    switch (token.kind) {
      case 'hostname':
        return m.hostname(token.value)
      case 'fqdn':
        return m.fqdn(token.value.toLowerCase(), token.domain!.toLowerCase())
      case 'domain':
        return m.domain(token.value)
      case 'username':
        return m.username(token.value)
      case 'serial':
        return m.serial(token.value)
      case 'machineId':
        return m.machineId(token.value)
      case 'ipv4':
        return m.ipv4(token.value)
      case 'ipv6':
        return m.ipv6(token.value)
      case 'mac':
        return m.mac(token.value)
      case 'uuid':
        return m.uuid(token.value)
    }
  }
}
