import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

export const FIXTURES = fileURLToPath(new URL('../../fixtures/kernel-log/', import.meta.url))

/** A fixture's kernel text (no prefixes), as the kernel printed it. */
export function fixture(name: string): string {
  return readFileSync(FIXTURES + name, 'utf8')
}

export function fixtureLines(name: string): string[] {
  const lines = fixture(name).split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

/** 1-based number of the first line containing `needle`. */
export function lineOf(lines: string[], needle: string, from = 0): number {
  const i = lines.findIndex((l, k) => k >= from && l.includes(needle))
  if (i < 0) throw new Error(`no line with ${needle}`)
  return i + 1
}

function mono(i: number, width = 5): string {
  const sec = 8123 + Math.floor(i / 7)
  const usec = String((i * 104729) % 1_000_000).padStart(6, '0')
  return `${String(sec).padStart(width)}.${usec}`
}

/**
 * Every prefix shape real kernel logs arrive in (shared/notes/kernel-log-formats.md §2), applied to
 * kernel text line by line. Each keeps one output line per input line.
 */
export const SHAPES: Record<string, (text: string, i: number) => string> = {
  'serial console (no timestamps)': (t) => t,
  'dmesg': (t, i) => `[${mono(i)}] ${t}`,
  'dmesg, wide timestamp': (t, i) => `[${901320 + i}.960000] ${t}`,
  'dmesg with caller id': (t, i) => `[${mono(i)}][  T4242] ${t}`,
  'dmesg -T': (t) => `[Tue Nov 25 14:56:27 2025] ${t}`,
  'dmesg --time-format iso': (t, i) => `2025-11-25T14:56:27,${String(i * 7919).padStart(6, '0').slice(-6)}+00:00 ${t}`,
  'dmesg -r': (t, i) => `<4>[${mono(i)}] ${t}`,
  'dmesg -x': (t, i) => `kern  :warn  : [${mono(i)}] ${t}`,
  'dmesg --reltime': (t) => `[Nov25 14:56] ${t}`,
  'dmesg --time-format delta': (t, i) => `[  +0.${String(i).padStart(6, '0')}] ${t}`,
  'dmesg --color=always': (t, i) => `\x1b[32m[${mono(i)}]\x1b[0m ${t.startsWith('WARNING') || t.startsWith('BUG') ? `\x1b[1m${t}\x1b[0m` : t}`,
  '/dev/kmsg': (t, i) => `4,${1200 + i},${8123000000 + i * 17},-,caller=T4242;${t}`,
  'journalctl -k (short)': (t) => `Nov 25 14:56:27 l1-host kernel: ${t}`,
  'journalctl -k -o short-iso': (t) => `2025-11-25T14:56:27+00:00 l1-host kernel: ${t}`,
  'journalctl -k -o short-precise': (t, i) => `Nov 25 14:56:27.${String(i * 31).padStart(6, '0')} l1-host kernel: ${t}`,
  'journalctl -k -o short-monotonic': (t, i) => `[${mono(i)}] l1-host kernel: ${t}`,
  'journalctl -k -o json': (t, i) =>
    JSON.stringify({
      __REALTIME_TIMESTAMP: String(1764082587000000 + i),
      _BOOT_ID: '8d2e4c6f0a1b4c3d9e8f7a6b5c4d3e2f',
      PRIORITY: '4',
      SYSLOG_FACILITY: '0',
      SYSLOG_IDENTIFIER: 'kernel',
      _TRANSPORT: 'kernel',
      _HOSTNAME: 'l1-host',
      _SOURCE_MONOTONIC_TIMESTAMP: String(8123000000 + i),
      MESSAGE: t,
    }),
  'syslog kern.log (traditional)': (t, i) => `Nov 25 14:56:27 l1-host kernel: [${mono(i)}] ${t}`,
  'syslog kern.log (RFC 3339)': (t, i) => `2025-11-25T14:56:27.${String(i).padStart(6, '0')}+00:00 l1-host kernel: [${mono(i)}] ${t}`,
  'syslog appliance template (upper-case header)': (t, i) => `NOV 25 14:56:27 L1-HOST KERN.WARN KERNEL: [${mono(i)}][ T4242] ${t}`,
  'CRLF line ends': (t, i) => `[${mono(i)}] ${t}\r`,
  'NUL bytes': (t, i) => (i % 5 === 0 ? `\0\0[${mono(i)}] ${t}` : `[${mono(i)}] ${t}`),
}

/** Apply a shape to every line of a fixture. */
export function shaped(lines: string[], shape: (text: string, i: number) => string): string {
  return lines.map((l, i) => shape(l, i)).join('\n') + '\n'
}
