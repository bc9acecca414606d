/**
 * Finding identity tokens in text: host and domain names, IPv4/IPv6 and MAC addresses, UUIDs,
 * serials, machine ids and user names. Everything is matched as a whole token, bounded by
 * characters that cannot be part of a name (letters, digits, `_` and `-` continue a token), so a
 * hostname `vm` never matches inside `kvm`, `vmx`, `vm_area_struct` or `nested_vmx_vmexit`, and a
 * kernel symbol, module parameter, CPU flag or version string comes through untouched. Short or
 * ambiguous names (`vm`, `node`, `debian`) are matched only where they stand as names: `hostname:
 * vm`, `vm login:`, the host field of a syslog line, `uname -a`, `user@vm`, `/home/bob`.
 *
 * The tokenizer only finds; src/redact/identity.ts decides what each token becomes.
 */

export type TokenKind = 'hostname' | 'fqdn' | 'domain' | 'username' | 'serial' | 'machineId' | 'ipv4' | 'ipv6' | 'mac' | 'uuid'

export interface Token {
  start: number
  end: number
  kind: TokenKind
  /** The matched text (for ipv4/ipv6: the address without a /prefix). */
  value: string
  /** fqdn tokens: the known domain the name ends with. */
  domain?: string
}

/** Literal values known from the capture or the map, by how freely they may be matched. */
export interface Seeds {
  /** Matched as whole tokens anywhere (long, distinctive values); keys in lower case. */
  anywhere: Map<string, 'hostname' | 'username' | 'serial' | 'machineId'>
  /** Short or ambiguous host names: matched only where they stand as host names. */
  positionalHosts: Set<string>
  /** Short or ambiguous user names: matched only where they stand as user names. */
  positionalUsers: Set<string>
  /** Domains (two labels or more): the domain itself and every name under it. */
  domains: Set<string>
  /**
   * Pseudonyms handed out already, in lower case, left alone so redaction is idempotent: IPv4 by
   * their /24 network ("192.0.2"), MACs in colon form, IPv6 and UUIDs whole.
   */
  pseudonyms: ReadonlySet<string>
}

export function emptySeeds(): Seeds {
  return {anywhere: new Map(), positionalHosts: new Set(), positionalUsers: new Set(), domains: new Set(), pseudonyms: new Set()}
}

/** Characters that continue a name: a match must not have one on either side. */
const NAME_CHAR = 'A-Za-z0-9_-'
const BEFORE = `(?<![${NAME_CHAR}])`
const AFTER = `(?![${NAME_CHAR}])`

/**
 * A name followed by `=` or by dotted labels with `_` or `=` is a key or a symbol path
 * (`haltpoll.guest_halt_poll_ns=`, `vm.max_map_count`), not a host name; `name.corp.example` is.
 */
const NOT_A_KEY = String.raw`(?!=|(?:\.[A-Za-z0-9-]+)*\.[A-Za-z0-9-]*[_=])`

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/** Alternation of literals, longest first so a FQDN wins over its first label. */
function alternation(values: Iterable<string>): string {
  return [...values]
    .sort((a, b) => b.length - a.length || (a < b ? -1 : 1))
    .map(escapeRegExp)
    .join('|')
}

const SYSLOG_STAMP = String.raw`(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d+)?|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?|\[\s*\d+\.\d+\])`

/** Where a name stands as a host name (NAME_SLOT stands for the names). */
const NAME_SLOT = '%NAME%'
const HOST_POSITIONS = [
  String.raw`(?<=\b(?:host[-_ ]?name|nodename|HOSTNAME)["']?\s*[:=]\s*["']?)%NAME%${AFTER}(?!\.[A-Za-z0-9])`,
  String.raw`${BEFORE}%NAME%(?= login:)`,
  String.raw`(?<=^${SYSLOG_STAMP} )%NAME%(?= \S)`,
  String.raw`(?<=^Linux )%NAME%(?= \d)`,
  String.raw`(?<=[A-Za-z0-9_.-]@)%NAME%${AFTER}(?!\.[A-Za-z0-9])`,
  // getty banner "Debian GNU/Linux 12 vm ttyS0". (A line holding only the name is not a position:
  // one-value sysfs files would match, e.g. a DMI vendor "KVM" on a host called kvm.)
  String.raw`${BEFORE}%NAME%(?= (?:tty|hvc|console)\w*\s*$)`,
]

/** Where a name stands as a user name. */
const USER_POSITIONS = [
  String.raw`(?<=/home/)%NAME%(?![A-Za-z0-9_.$-])`,
  String.raw`(?<=\b(?:USER|LOGNAME|USERNAME|SUDO_USER)=["']?)%NAME%${AFTER}`,
  String.raw`${BEFORE}%NAME%(?=@[A-Za-z0-9])`,
]

const IPV4 = /(?<![\w.])(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\/(3[0-2]|[12]?\d))?(?!\w|\.\d)/g
const IPV6_CANDIDATE = /(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[\w.-]+)?(?:\/(12[0-8]|1[01]\d|[1-9]?\d))?(?![\w:]|\.\d)/g
const MAC = /(?<![\w:.-])[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(?:\1[0-9A-Fa-f]{2}){4}(?![\w:-]|\.\w)/g
const UUID = /(?<![\w-])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![\w-])/g

/** "version 1.2.3.4", "BIOS 1.2.3.4": four dotted numbers that are a version, not an address. */
const VERSION_BEFORE = /\b(?:version|ver\.?|v|release|firmware|bios|build)[\s:=]*$/i

/**
 * Addresses that identify nobody: unspecified, loopback, broadcast, multicast, netmasks, and the
 * documentation and benchmark networks pseudonyms come from (so a redacted bundle redacted again
 * without its map keeps its pseudonyms).
 */
function isPublicKnowledgeIpv4(octets: number[]): boolean {
  const [a, b, c] = octets
  if (a === 0 || a === 127 || (a >= 224 && a <= 239)) return true
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113) || (a === 198 && (b === 18 || b === 19))) return true
  if (octets.every((o) => o === 255)) return true
  // A netmask: ones then zeros.
  const n = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0
  const inverted = ~n >>> 0
  return a === 255 && (inverted & (inverted + 1)) === 0
}

/** Unspecified (also as cgroup v2's "0::/"), loopback, multicast, and documentation (2001:db8::/32). */
function isPublicKnowledgeIpv6(address: string): boolean {
  const groups = expandIpv6(address)
  const head = groups.slice(0, 7).every((g) => g === '0000')
  return (head && (groups[7] === '0000' || groups[7] === '0001')) || groups[0].startsWith('ff') || (groups[0] === '2001' && groups[1] === '0db8')
}

/** Fixed-width lower-case expansion of an IPv6 address: 8 groups of 4 hex digits. */
export function expandIpv6(address: string): string[] {
  const [head, tail] = address.toLowerCase().split('::')
  const h = head ? head.split(':') : []
  const t = tail === undefined ? [] : tail ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
  return groups.map((g) => g.padStart(4, '0'))
}

const isIpv6 = (s: string) => {
  const parts = s.split('::')
  if (parts.length > 2) return false
  const groups = parts.flatMap((p) => (p === '' ? [] : p.split(':')))
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false
  return parts.length === 2 ? groups.length <= 7 : groups.length === 8
}

export class Tokenizer {
  private readonly anywhere: RegExp | undefined
  private readonly positional: Array<{re: RegExp; kind: 'hostname' | 'username'}> = []
  private readonly domains: RegExp | undefined

  constructor(private readonly seeds: Seeds) {
    if (seeds.anywhere.size > 0) this.anywhere = new RegExp(`${BEFORE}(?:${alternation(seeds.anywhere.keys())})${AFTER}${NOT_A_KEY}`, 'gi')
    if (seeds.positionalHosts.size > 0) {
      const names = `(?:${alternation(seeds.positionalHosts)})`
      for (const p of HOST_POSITIONS) this.positional.push({re: new RegExp(p.replace(NAME_SLOT, names), 'gmi'), kind: 'hostname'})
    }
    if (seeds.positionalUsers.size > 0) {
      const names = `(?:${alternation(seeds.positionalUsers)})`
      for (const p of USER_POSITIONS) this.positional.push({re: new RegExp(p.replace(NAME_SLOT, names), 'gm'), kind: 'username'})
    }
    if (seeds.domains.size > 0) {
      // The domain alone: the labels before it are found by walking back (linear), since a
      // `(label\.)*` prefix in the pattern would retry every start in a long dotted run.
      this.domains = new RegExp(`${BEFORE}(?:${alternation(seeds.domains)})${AFTER}(?!\\.[A-Za-z0-9])`, 'gi')
    }
  }

  /** Every identity token in `text`, non-overlapping, in order; longest wins where two overlap. */
  tokens(text: string): Token[] {
    const found: Token[] = []
    if (this.anywhere) {
      for (const m of text.matchAll(this.anywhere)) {
        const kind = this.kindOfLiteral(m[0])
        found.push({start: m.index, end: m.index + m[0].length, kind, value: m[0]})
      }
    }
    for (const {re, kind} of this.positional) {
      for (const m of text.matchAll(re)) found.push({start: m.index, end: m.index + m[0].length, kind, value: m[0]})
    }
    if (this.domains) {
      for (const m of text.matchAll(this.domains)) {
        const end = m.index + m[0].length
        const start = labelsBefore(text, m.index)
        if (start === m.index) found.push({start, end, kind: 'domain', value: m[0]})
        else found.push({start, end, kind: 'fqdn', value: text.slice(start, end), domain: m[0]})
      }
    }
    this.addressTokens(text, found)
    return resolveOverlaps(found)
  }

  private kindOfLiteral(matched: string): Token['kind'] {
    return this.seeds.anywhere.get(matched.toLowerCase()) ?? 'hostname'
  }

  private addressTokens(text: string, found: Token[]): void {
    // Cheap pre-checks keep the address scans off text that cannot hold one.
    if (/\d\.\d/.test(text)) {
      for (const m of text.matchAll(IPV4)) {
        const address = m.slice(1, 5).join('.')
        const octets = m.slice(1, 5).map(Number)
        if (isPublicKnowledgeIpv4(octets) || this.seeds.pseudonyms.has(m.slice(1, 4).join('.'))) continue
        if (VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 12), m.index))) continue
        found.push({start: m.index, end: m.index + address.length, kind: 'ipv4', value: address})
      }
    }
    if (text.includes(':')) {
      for (const m of text.matchAll(IPV6_CANDIDATE)) {
        const address = m[0].replace(/\/\d+$/, '').replace(/%.*$/, '')
        // Bare hex pairs like a MAC or a time are not IPv6: require "::" or all eight groups.
        if (!address.includes('::') && address.split(':').length !== 8) continue
        if (!isIpv6(address) || isPublicKnowledgeIpv6(address) || this.seeds.pseudonyms.has(address.toLowerCase())) continue
        found.push({start: m.index, end: m.index + address.length, kind: 'ipv6', value: address})
      }
    }
    if (text.includes(':') || text.includes('-')) {
      for (const m of text.matchAll(MAC)) {
        const lower = m[0].toLowerCase()
        // All-zero, broadcast, and the 02:00:00 block pseudonyms come from.
        if (/^(?:00[:-]){5}00$|^(?:ff[:-]){5}ff$|^02[:-]00[:-]00[:-]/.test(lower) || this.seeds.pseudonyms.has(lower.replaceAll('-', ':'))) continue
        found.push({start: m.index, end: m.index + m[0].length, kind: 'mac', value: m[0]})
      }
    }
    if (text.includes('-')) {
      for (const m of text.matchAll(UUID)) {
        const lower = m[0].toLowerCase()
        if (/^[0-]+$|^00000000-0000-4000-8000-/.test(lower) || this.seeds.pseudonyms.has(lower)) continue
        found.push({start: m.index, end: m.index + m[0].length, kind: 'uuid', value: m[0]})
      }
    }
  }
}

const LABEL_CHAR = /[A-Za-z0-9-]/

/** Start of the host labels (`a.b.`) directly before `at`, which must not continue a symbol (`x_a.`). */
function labelsBefore(text: string, at: number): number {
  let start = at
  while (text[start - 1] === '.') {
    let k = start - 1
    while (k > 0 && LABEL_CHAR.test(text[k - 1])) k--
    if (k === start - 1 || (k > 0 && text[k - 1] === '_')) break
    start = k
  }
  return start
}

/** Earliest first; where tokens overlap, the longest is kept and the others dropped. */
function resolveOverlaps(tokens: Token[]): Token[] {
  const sorted = [...tokens].sort((a, b) => a.start - b.start || b.end - b.start - (a.end - a.start))
  const out: Token[] = []
  for (const t of sorted) {
    const last = out.at(-1)
    if (last && t.start < last.end) {
      if (t.end - t.start > last.end - last.start) out[out.length - 1] = t
      continue
    }
    out.push(t)
  }
  return out
}

/** Rebuild `text` with each token replaced; everything between tokens is copied unchanged. */
export function replaceTokens(text: string, tokens: Token[], replacement: (t: Token) => string): string {
  if (tokens.length === 0) return text
  let out = ''
  let pos = 0
  for (const t of tokens) {
    out += text.slice(pos, t.start) + replacement(t)
    pos = t.end
  }
  return out + text.slice(pos)
}
