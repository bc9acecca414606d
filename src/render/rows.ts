/** Labelled facts for the view models: the shape templates lay out as tables or aligned lines. */

/** One labelled fact; `source` says where it came from ('' when derived or unknown). */
export interface Row {
  label: string
  value: string
  source: string
}

export const row = (label: string, value: string, source = ''): Row => ({label, value, source})
export const fromSourced = (label: string, fact: {value: unknown; source: string}): Row =>
  row(label, fact.value === null ? 'unknown' : String(fact.value), fact.source)
export const orNone = (value: string | null, none = 'none'): string => (value === null || value === '' ? none : value)
