/**
 * Line normalisation: strip every prefix shape kernel logs arrive in, so the detectors only ever see
 * the kernel's own text. Shapes (see shared/notes/kernel-log-formats.md §2):
 *   dmesg `[   12.345678] ` (any width) + optional `[  T123]`/`[    C1]` caller id; `dmesg -r` `<4>`;
 *   `dmesg -x` `kern  :warn  : `; `dmesg -T` `[Tue Nov 25 14:56:27 2025] `; `--time-format iso`
 *   `2025-11-25T14:56:27,123456+00:00 `; reltime `[Nov25 14:56] ` and delta `[  +0.000123] `;
 *   /dev/kmsg `<prio>,<seq>,<usec>,<flags>[,caller=T1];text` (+ ` KEY=value` continuation lines);
 *   journalctl -k short/short-precise/short-iso/short-monotonic (`host kernel: `) and `-o json`;
 *   syslog traditional and RFC 3339 (`host kernel: [ts] `), upper-cased appliance templates;
 *   serial consoles without a prefix, a timestamp glued to a login prompt, CR, ANSI colour, NUL.
 */

export interface NormalisedLine {
  text: string
  /** `T123` / `C1` when CONFIG_PRINTK_CALLER or /dev/kmsg supplied it. */
  caller?: string
  /** false: a syslog/journal line from another program (only QEMU/libvirt patterns apply). */
  kernel: boolean
  /** The line carried a journal `-- Boot ... --` separator or similar: reports end here. */
  boundary?: boolean
}

// ANSI CSI/OSC escapes as `dmesg --color=always` and consoles emit them.
const ANSI_RE = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g
// eslint-disable-next-line no-control-regex
const CTRL_RE = /[\x00-\x08\x0a-\x1f\x7f]/g
// eslint-disable-next-line no-control-regex
const HAS_CTRL_RE = /[\x00-\x08\x0a-\x1f\x7f]/

const DMESG_TS_RE = /^\[\s*\d+[.,]\d+\](?:\[\s*([TC]\d+)\])? ?/
const DMESG_CTIME_RE = /^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\](?:\[\s*([TC]\d+)\])? ?/
const DMESG_RELTIME_RE = /^\[(?:[A-Z][a-z]{2} ?\d{1,2} \d\d:\d\d|\s*\+\d+\.\d+|<\s*\d+\.\d+>|\s*[+<]?\d+\.\d+\s*>?)\](?:\[\s*([TC]\d+)\])? ?/
const CALLER_ONLY_RE = /^\[\s*([TC]\d+)\] ?/
const DMESG_RAW_RE = /^<\d{1,3}>/
const DMESG_X_RE =
  /^(?:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|res0|res1|res2|res3|local[0-7])\s*:\s*(?:emerg|alert|crit|err|warn|notice|info|debug)\s*: ?/
const KMSG_RE = /^\d{1,3},\d+,\d+,[^;,]*((?:,[^;]*)?);/
const KMSG_CONT_RE = /^ [A-Z_][A-Z0-9_]*=/
const ISO_RE = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d([.,]\d+)?(?:Z|[+-]\d\d:?\d\d)? /
// syslog / journalctl short: `Nov 25 14:56:27 ` (optionally with a weekday or fraction), any case.
const SYSLOG_TS_RE = /^(?:[A-Za-z]{3} )?[A-Za-z]{3} {1,2}\d{1,2} \d\d:\d\d:\d\d(?:\.\d+)? /
const KERNEL_TAG_RE = /^(?:\S+ ){0,2}kernel(?:\[\d+\])?: ?/i
const OTHER_TAG_RE = /^(?:\S+ )?[^\s:[\]]+(?:\[\d+\])?: /
const MONO_KERNEL_RE = /^[^\s[\]]+ kernel(?:\[\d+\])?: ?/
const BOOT_SEP_RE = /^-- (?:Boot [0-9a-f]+|Reboot|Logs begin at|Journal begins at)/
// `login: [   16.3] INFO: ...`: a dmesg timestamp after console text on the same line.
const GLUED_TS_RE = /\[\s*\d+\.\d{3,9}\](?:\[\s*([TC]\d+)\])? ?/

/**
 * A copy of `s` that does not keep the chunk it was sliced from alive (V8 sliced strings retain
 * their parent): used for every string a result keeps, so kept results cost only their own size.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8')
}

/** Remove ANSI escapes, NULs and other control characters (tabs kept); CR removed. */
export function cleanLine(raw: string): string {
  let s = raw
  if (s.includes('\x1b')) s = s.replace(ANSI_RE, '')
  if (HAS_CTRL_RE.test(s)) s = s.replace(CTRL_RE, '')
  return s
}

export class LineNormaliser {
  private kmsg = false

  normalise(raw: string, clean = false): NormalisedLine | null {
    let s = clean ? raw : cleanLine(raw)
    if (s.length === 0) return {text: '', kernel: true}
    let caller: string | undefined
    const c0 = s.charCodeAt(0)

    // journalctl -o json: one object per line.
    if (c0 === 0x7b /* { */ && s.includes('"MESSAGE"')) {
      const j = parseJournalJson(s)
      if (j) return j
    }

    if (c0 >= 0x30 && c0 <= 0x39) {
      const km = KMSG_RE.exec(s)
      if (km) {
        this.kmsg = true
        const cm = /caller=([TC]\d+)/.exec(km[1])
        return {text: s.slice(km[0].length), caller: cm?.[1], kernel: true}
      }
      const iso = ISO_RE.exec(s)
      if (iso) {
        s = s.slice(iso[0].length)
        const fraction = iso[1]
        const tag = KERNEL_TAG_RE.exec(s)
        if (tag && !(fraction && fraction[0] === ',')) {
          s = s.slice(tag[0].length)
        } else if (!(fraction && fraction[0] === ',') && OTHER_TAG_RE.test(s) && !looksLikeKernelSubsystem(s)) {
          return {text: s, kernel: false}
        }
        // else: dmesg --time-format iso (comma fraction): the rest is kernel text.
        return this.afterSyslog(s)
      }
    } else if (c0 === 0x20 && this.kmsg && KMSG_CONT_RE.test(s)) {
      return null // /dev/kmsg dictionary continuation (SUBSYSTEM=, DEVICE=)
    } else if (c0 === 0x2d /* - */ && BOOT_SEP_RE.test(s)) {
      return {text: '', kernel: true, boundary: true}
    }

    // dmesg -r: `<4>` then the usual timestamp.
    if (c0 === 0x3c /* < */) {
      const m = DMESG_RAW_RE.exec(s)
      if (m) s = s.slice(m[0].length)
    } else if (c0 >= 0x61 && c0 <= 0x7a) {
      const m = DMESG_X_RE.exec(s)
      if (m) s = s.slice(m[0].length)
    }

    if (s.charCodeAt(0) !== 0x5b /* [ */) {
      const ts = SYSLOG_TS_RE.exec(s)
      if (ts) {
        const rest = s.slice(ts[0].length)
        const tag = KERNEL_TAG_RE.exec(rest)
        if (!tag) return {text: rest, kernel: false}
        return this.afterSyslog(rest.slice(tag[0].length))
      }
    }
    return this.afterSyslog(s, caller)
  }

  /** Text after any syslog header: may still carry a dmesg timestamp and caller id. */
  private afterSyslog(s: string, caller?: string): NormalisedLine {
    if (s.charCodeAt(0) === 0x5b /* [ */) {
      const m = DMESG_TS_RE.exec(s) ?? DMESG_CTIME_RE.exec(s) ?? DMESG_RELTIME_RE.exec(s)
      if (m) {
        caller = m[1] ?? caller
        s = s.slice(m[0].length)
        // journalctl -o short-monotonic: `[  12.3] host kernel: text`.
        if (s.includes('kernel')) {
          const t = MONO_KERNEL_RE.exec(s)
          if (t) s = s.slice(t[0].length)
        }
        return {text: s, caller, kernel: true}
      }
      const c = CALLER_ONLY_RE.exec(s)
      if (c) return {text: s.slice(c[0].length), caller: c[1], kernel: true}
    } else if (s.includes('.') && s.includes('] ')) {
      // Console text glued before a timestamped kernel line (`login: [ 16.3] INFO: ...`).
      const g = GLUED_TS_RE.exec(s)
      if (g && g.index > 0) return {text: s.slice(g.index + g[0].length), caller: g[1] ?? caller, kernel: true}
    }
    return {text: s, caller, kernel: true}
  }
}

/** `usb 1-1: new device` and `kvm_intel: ...` are kernel text, not `host prog: ` syslog tags. */
function looksLikeKernelSubsystem(s: string): boolean {
  return /^[\w-]+ [\w.:-]*\d[\w.:-]*: /.test(s) || /^[\w-]+: /.test(s)
}

function parseJournalJson(s: string): NormalisedLine | null {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(s) as Record<string, unknown>
  } catch {
    return null
  }
  let msg = o.MESSAGE
  if (Array.isArray(msg)) msg = Buffer.from(msg as number[]).toString('utf8')
  if (typeof msg !== 'string') return {text: '', kernel: false}
  const kernel = o._TRANSPORT === 'kernel' || o.SYSLOG_IDENTIFIER === 'kernel'
  // A journal MESSAGE is one printk record; keep the first line (records are single-line in practice).
  const nl = msg.indexOf('\n')
  return {text: cleanLine(nl >= 0 ? msg.slice(0, nl) : msg), kernel}
}
