/**
 * A small JSON Schema checker for tests (no validator dependency): structural soundness of a
 * generated schema, and validation of documents for the keywords zod's toJSONSchema emits.
 */
export type SchemaNode = Record<string, any>
type Node = SchemaNode

/**
 * Every keyword the generated schema may use. Anything else (a $ref, say) is reported, because
 * validateAgainstSchema would silently ignore it.
 */
const KNOWN_KEYWORDS = new Set([
  '$schema', '$id', 'title', 'description', 'type', 'properties', 'required', 'additionalProperties',
  'propertyNames', 'items', 'anyOf', 'enum', 'const', 'minimum', 'maximum',
])
const JSON_TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'])

/** Structural problems of a schema node and its children (unknown keyword, bad type, dangling required). */
export function schemaProblems(node: Node, path = '#'): string[] {
  const problems: string[] = []
  for (const key of Object.keys(node)) if (!KNOWN_KEYWORDS.has(key)) problems.push(`${path}: unknown keyword ${key}`)
  for (const type of [node.type ?? []].flat()) if (!JSON_TYPES.has(type)) problems.push(`${path}: bad type ${type}`)
  for (const name of node.required ?? []) if (!(name in (node.properties ?? {}))) problems.push(`${path}: required ${name} not in properties`)
  const children: Array<[string, Node]> = [
    ...Object.entries<Node>(node.properties ?? {}).map(([k, v]): [string, Node] => [`${path}/properties/${k}`, v]),
    ...(node.anyOf ?? []).map((v: Node, i: number): [string, Node] => [`${path}/anyOf/${i}`, v]),
  ]
  for (const key of ['items', 'additionalProperties', 'propertyNames']) {
    if (node[key] && typeof node[key] === 'object') children.push([`${path}/${key}`, node[key]])
  }
  for (const [p, child] of children) problems.push(...schemaProblems(child, p))
  return problems
}

function typeOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** A small validator for the keywords above: enough to check model instances against the schema. */
export function validateAgainstSchema(node: Node, value: unknown, path = '$'): string[] {
  if (node.anyOf) {
    return node.anyOf.some((alt: Node) => validateAgainstSchema(alt, value, path).length === 0) ? [] : [`${path}: matches no alternative`]
  }
  const errors: string[] = []
  if ('const' in node && value !== node.const) errors.push(`${path}: must be ${node.const}`)
  if (node.enum && !node.enum.includes(value)) errors.push(`${path}: not in enum`)
  if (node.type) {
    const types = [node.type].flat()
    const actual = typeOf(value)
    const ok = types.some((t: string) => t === actual || (t === 'integer' && Number.isInteger(value)) || (t === 'number' && actual === 'number'))
    if (!ok) return [...errors, `${path}: expected ${types.join('|')}, got ${actual}`]
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>
    for (const name of node.required ?? []) if (!(name in obj)) errors.push(`${path}: missing ${name}`)
    for (const [key, v] of Object.entries(obj)) {
      const sub = node.properties?.[key] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : null)
      if (sub) errors.push(...validateAgainstSchema(sub, v, `${path}.${key}`))
      else if (node.additionalProperties === false) errors.push(`${path}: unexpected ${key}`)
      if (node.propertyNames) errors.push(...validateAgainstSchema(node.propertyNames, key, `${path}[key ${key}]`))
    }
  }
  if (Array.isArray(value) && node.items) value.forEach((item, i) => errors.push(...validateAgainstSchema(node.items, item, `${path}[${i}]`)))
  return errors
}
