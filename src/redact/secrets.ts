/**
 * Always-on secret scrubbing. QEMU command lines (NUL-separated /proc/PID/cmdline, libvirt log
 * lines, JSON `-object '{...}'`), libvirt XML, kernel command lines and free text carry passwords,
 * keys and credentials in well-known places (virtualization-facts.md §6). Each value is replaced by
 * SECRET_MARKER, keeping the key and the structure around it so the reader still sees that, say,
 * the SPICE server had a password; what was removed and where is recorded, never the value.
 *
 * Over-redaction is the safe direction here: when a value's end is ambiguous (a QEMU option string
 * that starts with the secret, an unterminated quote) the scanner takes the longer reading.
 */

/** Free of `,` `:` `=` quotes and blanks, so it is one value in every syntax it lands in. */
export const SECRET_MARKER = '[redacted-secret]'

export interface SecretFinding {
  /** File path, "command:<id>" or "model:<field>". */
  where: string
  /** What kind of secret, never its value: "QEMU -object secret data=". */
  what: string
}

interface Span {
  start: number
  end: number
  what: string
}

/** Keys whose value is a secret, by their last component (`rd.iscsi.password`, `AWS_SECRET_ACCESS_KEY`). */
const SENSITIVE_KEY =
  /(?:^|[._-])(?:password|passwd|passphrase|pass|pwd|secret|token|cookie|credentials?|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key|auth[_-]?key|client[_-]?secret|auth[_-]?token|access[_-]?token)$/i

/** QEMU keys that name a `-object secret` by id rather than hold a value: password-secret=sec0. */
const SECRET_ID_REFERENCE = /(?:password|key|cookie|passphrase|secret)-secret$/i

/** Values that say whether a password is set, not what it is (`-vnc ...,password=on`). */
const NOT_A_VALUE = /^(?:on|off|yes|no|true|false|none|required|optional)$/i

export function isSensitiveKey(key: string): boolean {
  if (key === 'PWD') return false // the shell's working directory in libvirt log environments
  return SENSITIVE_KEY.test(key) && !SECRET_ID_REFERENCE.test(key)
}

type ValueStyle = 'qemu' | 'colon' | 'url' | 'word'

const isBlank = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\0'

/** How far back a word's start is looked for: labels and the -fw_cfg name check need only its head. */
const WORD_LOOKBACK = 512

/**
 * One text being scrubbed, with what every rule asks of it computed once: whether it is a
 * NUL-separated argv, and single-quote parity per position (libvirt log quoting). Computing the
 * parity by walking back from each match would make a long line with many matches quadratic.
 */
class TextScan {
  readonly nul: boolean
  private parity?: Uint8Array

  constructor(readonly text: string) {
    this.nul = text.includes('\0')
  }

  /** Whether position `at` sits inside a single-quoted shell word on its line. */
  insideSingleQuotes(at: number): boolean {
    if (!this.parity) {
      const parity = new Uint8Array(this.text.length + 1)
      let inside = 0
      for (let i = 0; i < this.text.length; i++) {
        parity[i] = inside
        const c = this.text.charCodeAt(i)
        if (c === 0x27) inside ^= 1
        else if (c === 0x0a || c === 0x00) inside = 0
      }
      parity[this.text.length] = inside
      this.parity = parity
    }
    return this.parity[at] === 1
  }

  /**
   * End of a value starting at `start`. QEMU option values end at a single `,` (`,,` is an
   * escaped comma), rbd values at `:`, URL query values at `&`/`#`, kernel-style words at a blank.
   * In a NUL-separated argv (/proc/PID/cmdline) blanks and quotes belong to the argument, so only
   * the style's separator ends a QEMU value (an Ignition JSON in -fw_cfg string= has both); in log
   * lines a single-quoted word ends at its closing quote. A word value that opens with a quote runs
   * to the matching quote (kernel `password="a b"`, XML `passwd='x'`).
   */
  value(start: number, style: ValueStyle): {start: number; end: number} {
    const text = this.text
    const open = text[start]
    if (style !== 'qemu' && (open === '"' || open === "'")) {
      const close = text.indexOf(open, start + 1)
      const end = close < 0 ? lineEnd(text, start) : close
      return {start: start + 1, end}
    }
    const quoted = !this.nul && this.insideSingleQuotes(start)
    const blankEnds = style === 'word' ? !quoted : !this.nul && !quoted
    let i = start
    while (i < text.length) {
      const c = text[i]
      if (c === '\0' || c === '\n' || c === '\r') break
      if (blankEnds && isBlank(c)) break
      if (c === "'" && !this.nul) break
      if (c === '"' && style !== 'qemu') break
      if (style === 'qemu' && c === ',') {
        if (text[i + 1] === ',') {
          i += 2
          continue
        }
        break
      }
      if (style === 'colon' && (c === ':' || c === ',')) {
        if (c === ':' && text[i - 1] === '\\') {
          i++
          continue
        }
        break
      }
      if (style === 'url' && (c === '&' || c === '#' || c === ',' || c === ';')) break
      i++
    }
    return {start, end: i}
  }

  /** Start of the blank-separated word containing `at` (quote-aware enough for log lines). */
  wordStart(at: number): number {
    const text = this.text
    const quoted = this.insideSingleQuotes(at)
    const limit = Math.max(0, at - WORD_LOOKBACK)
    let i = at
    while (i > limit) {
      const c = text[i - 1]
      if (c === '\0' || c === '\n') break
      if (quoted ? c === "'" : isBlank(c) || c === "'" || c === '"') break
      i--
    }
    return i
  }

  /** The QEMU option (`-spice`, `-drive`) whose argument contains `at`, if the word before it is one. */
  qemuOptionBefore(at: number): string | undefined {
    const start = this.wordStart(at)
    const before = this.text.slice(Math.max(0, start - 64), start)
    const m = /(?:^|[\s\0])(-{1,2}[a-z][\w-]*)[ \t\0]+'?$/.exec(before)
    return m ? m[1] : undefined
  }
}

function lineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) if (text[i] === '\n' || text[i] === '\0') return i
  return text.length
}

const KEY_VALUE = /(^|[\s\0,;:?&'"{(])([A-Za-z][\w.-]*)=/g

function keyValueSpans(scan: TextScan): Span[] {
  const text = scan.text
  const spans: Span[] = []
  // A match inside a value already taken is part of that value (and rescanning it from every such
  // match would make an unterminated quoted line quadratic).
  let covered = 0
  for (const m of text.matchAll(KEY_VALUE)) {
    const key = m[2]
    if (m.index < covered || !isSensitiveKey(key)) continue
    const delimiter = m[1]
    const valueStart = m.index + m[0].length
    let style: ValueStyle = delimiter === ',' ? 'qemu' : delimiter === ':' ? 'colon' : delimiter === '?' || delimiter === '&' ? 'url' : 'word'
    if (style === 'word' && /^[^\s\0,]*,[A-Za-z][\w.-]*=/.test(text.slice(valueStart, valueStart + 4096))) style = 'qemu'
    const value = scan.value(valueStart, style)
    if (!isValue(text, value)) continue
    const option = scan.qemuOptionBefore(m.index + delimiter.length)
    spans.push({...value, what: option ? `QEMU ${option} ${key}=` : `${key}=`})
    covered = value.end
  }
  return spans
}

function isValue(text: string, span: {start: number; end: number}): boolean {
  const value = text.slice(span.start, span.end)
  return value.length > 0 && value !== SECRET_MARKER && !NOT_A_VALUE.test(value)
}

/** `-object secret,id=sec0,data=...` (plain or AES ciphertext: both go). */
function secretObjectSpans(scan: TextScan): Span[] {
  const text = scan.text
  const spans: Span[] = []
  let covered = 0
  for (const m of text.matchAll(/(^|[\s\0'"=])secret,/g)) {
    if (m.index < covered) continue
    let i = m.index + m[0].length
    // Walk the option list key=value,key=value,... of this one argument.
    while (i < text.length) {
      const eq = /^([A-Za-z][\w.-]*)=/.exec(text.slice(i, i + 64))
      if (!eq) break
      const value = scan.value(i + eq[0].length, 'qemu')
      if (eq[1] === 'data' && isValue(text, value)) spans.push({...value, what: 'QEMU -object secret data='})
      covered = value.end
      if (text[value.end] !== ',') break
      i = value.end + 1
    }
  }
  return spans
}

const JSON_STRING = String.raw`"((?:[^"\\]|\\.)*)"`

/** libvirt's JSON form: -object '{"qom-type":"secret","id":"...","data":"..."}'. */
function jsonSecretObjectSpans(scan: TextScan): Span[] {
  const text = scan.text
  const spans: Span[] = []
  for (const obj of text.matchAll(/\{[^{}]*\}/g)) {
    if (!/"qom-type"\s*:\s*"secret"/.test(obj[0])) continue
    for (const d of obj[0].matchAll(new RegExp(String.raw`"data"\s*:\s*${JSON_STRING}`, 'g'))) {
      const start = obj.index + d.index + d[0].length - d[1].length - 1
      const span = {start, end: start + d[1].length}
      if (isValue(text, span)) spans.push({...span, what: 'QEMU -object secret "data" (JSON)'})
    }
  }
  return spans
}

/**
 * A span over capture group `group` of every match of `re` (which has the `d` flag, so the group's
 * position is known), where `describe` names it and the text there is a value, not a marker.
 */
function groupSpans(text: string, re: RegExp, group: number, describe: (m: RegExpExecArray) => string | undefined): Span[] {
  const spans: Span[] = []
  for (const m of text.matchAll(re)) {
    const what = describe(m)
    if (what === undefined) continue
    const [start, end] = m.indices![group]
    if (isValue(text, {start, end})) spans.push({start, end, what})
  }
  return spans
}

function jsonKeySpans(scan: TextScan): Span[] {
  return groupSpans(scan.text, new RegExp(String.raw`"([A-Za-z][\w.-]*)"\s*:\s*${JSON_STRING}`, 'dg'), 2, (m) => (isSensitiveKey(m[1]) ? `JSON "${m[1]}"` : undefined))
}

/** `scheme://user:password@host`, `iscsi://user%password@host`, dracut `iscsi:user:password@`. */
function uriCredentialSpans(scan: TextScan): Span[] {
  return [
    ...groupSpans(scan.text, /\b([a-z][a-z0-9+.-]{0,31}):\/\/([^\s\0/?#@:'"<>%]+)([:%])([^\s\0/?#'"<>]*)@/dgi, 4, (m) => `password in ${m[1].toLowerCase()}:// URI`),
    ...groupSpans(scan.text, /\biscsi:([^\s\0/@:'"]+):([^\s\0/@'"]+)@/dg, 2, () => 'password in iscsi: netroot'),
  ]
}

/**
 * The values starting right after each match of `re`. A match inside a value already taken is part
 * of that value, and skipping it keeps an unterminated quoted line from being rescanned (quadratic).
 */
function valuesAfter(scan: TextScan, re: RegExp, style: ValueStyle, describe: (m: RegExpExecArray) => string | undefined): Span[] {
  const spans: Span[] = []
  let covered = 0
  for (const m of scan.text.matchAll(re)) {
    if (m.index < covered) continue
    const what = describe(m)
    if (what === undefined) continue
    const value = scan.value(m.index + m[0].length, style)
    if (!isValue(scan.text, value)) continue
    spans.push({...value, what})
    covered = value.end
  }
  return spans
}

/** rbd:pool/image:id=admin:key=AQB...:auth_supported=cephx */
function rbdKeySpans(scan: TextScan): Span[] {
  return valuesAfter(scan, /rbd:[^\s\0'"]{0,1024}?:key=/g, 'colon', () => 'rbd key=')
}

/** -fw_cfg name=opt/com.coreos/config,string=<Ignition JSON with password hashes and keys> */
function fwCfgStringSpans(scan: TextScan): Span[] {
  return valuesAfter(scan, /,string=/g, 'qemu', (m) =>
    /(?:^|name=)opt\//.test(scan.text.slice(scan.wordStart(m.index), m.index)) ? 'QEMU -fw_cfg string=' : undefined,
  )
}

/** -smbios type=11,value=io.systemd.credential:NAME=VALUE and systemd.set_credential=NAME:VALUE */
function credentialSpans(scan: TextScan): Span[] {
  return [
    ...valuesAfter(scan, /io\.systemd\.credential(?:\.binary)?:([^=,\s\0'"]{1,256})=/g, 'qemu', (m) => `QEMU -smbios type=11 systemd credential ${m[1]}`),
    ...valuesAfter(scan, /\bsystemd\.set_credential(?:_binary)?=([^:\s\0'"]{1,256}):/g, 'word', (m) => `kernel systemd.set_credential ${m[1]}`),
  ]
}

/** <passwd>..</passwd>, <secret>..</secret> element text (attribute forms go through keyValueSpans). */
function xmlElementSpans(scan: TextScan): Span[] {
  return groupSpans(scan.text, /<(password|passwd|passphrase|secret|token)(\s[^>]*)?>([^<]+)<\/\1>/dgi, 3, (m) => `XML <${m[1]}> element`)
}

function otherSpans(scan: TextScan): Span[] {
  const text = scan.text
  const spans: Span[] = []
  // Found by indexOf rather than a lazy [\s\S]*? so that many BEGIN lines without an END stay
  // linear; a key cut off before its END line is removed to the end of the text.
  let from = 0
  for (;;) {
    const begin = /-----BEGIN ([A-Z ]{0,64}PRIVATE KEY)-----/.exec(text.slice(from))
    if (!begin) break
    const start = from + begin.index + begin[0].length
    const endMarker = `-----END ${begin[1]}-----`
    const end = text.indexOf(endMarker, start)
    spans.push({start, end: end < 0 ? text.length : end, what: begin[1]})
    if (end < 0) break
    from = end + endMarker.length
  }
  spans.push(...groupSpans(text, /\bAuthorization:\s*(?:Bearer|Basic|Token|Negotiate)\s+([^\s\0'"]+)/dgi, 1, () => 'HTTP Authorization header'))
  return spans
}

const RULES = [keyValueSpans, secretObjectSpans, jsonSecretObjectSpans, jsonKeySpans, uriCredentialSpans, rbdKeySpans, fwCfgStringSpans, credentialSpans, xmlElementSpans, otherSpans]

/** Cheap pre-check: text without any of these cannot hold a secret the rules find. */
const MAYBE_SECRET = /=|:\/\/|"\s*:|iscsi:|PRIVATE KEY|Authorization|<(?:password|passwd|passphrase|secret|token)/i

/**
 * Replace every secret value in `text` with SECRET_MARKER. Idempotent: a second pass finds only
 * markers and changes nothing.
 */
export function scrubSecrets(text: string, where: string): {text: string; findings: SecretFinding[]} {
  if (!MAYBE_SECRET.test(text)) return {text, findings: []}
  const scan = new TextScan(text)
  const spans = RULES.flatMap((rule) => rule(scan)).sort((a, b) => a.start - b.start || b.end - a.end)
  if (spans.length === 0) return {text, findings: []}
  const findings: SecretFinding[] = []
  const seen = new Set<string>()
  let out = ''
  let pos = 0
  for (const span of spans) {
    // A span inside or overlapping one already replaced widens it; it is not a second secret.
    if (span.start < pos) {
      pos = Math.max(pos, span.end)
      continue
    }
    if (!seen.has(span.what)) {
      seen.add(span.what)
      findings.push({where, what: span.what})
    }
    out += text.slice(pos, span.start) + SECRET_MARKER
    pos = span.end
  }
  out += text.slice(pos)
  return {text: out, findings}
}
