/**
 * Small helpers shared by the parsers: Sourced values and tolerant text splitting. Every parser
 * tolerates missing or garbled input, so these never throw.
 */
export interface Sourced<T> {
  value: T | null
  source: string
}

export function sourced<T>(value: T | null | undefined, source: string): Sourced<T> {
  return value === null || value === undefined ? {value: null, source: ''} : {value, source}
}

/** `key : value` lines (cpuinfo, lscpu, os-release after unquoting) into the first value per key. */
export function colonFields(text: string, separator = ':'): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const i = line.indexOf(separator)
    if (i <= 0) continue
    const key = line.slice(0, i).trim()
    if (key && !out.has(key)) out.set(key, line.slice(i + 1).trim())
  }
  return out
}

export function toInt(text: string | null | undefined): number | null {
  if (text === null || text === undefined) return null
  const t = text.trim()
  if (!/^(0x[0-9a-f]+|-?\d+)$/i.test(t)) return null
  const n = t.toLowerCase().startsWith('0x') ? Number.parseInt(t, 16) : Number.parseInt(t, 10)
  return Number.isFinite(n) ? n : null
}

/** Lines of a text without the trailing empty line a final newline leaves. */
export function lines(text: string): string[] {
  const all = text.replace(/\r\n/g, '\n').split('\n')
  if (all.length > 0 && all.at(-1) === '') all.pop()
  return all
}
