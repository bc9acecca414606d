import {describe, expect, it, vi} from 'vitest'

import Schema from '../../src/commands/schema.js'
import {levelJsonSchema} from '../../src/model/json-schema.js'
import {LEVEL_SCHEMA_VERSION} from '../../src/model/level.js'
import {intelL0Model, pvmL1Model, sparseModel} from '../helpers/level-model.js'

type Node = Record<string, any>

/** Every keyword the generated schema may use; anything else would be silently ignored by validators. */
const KNOWN_KEYWORDS = new Set([
  '$schema', '$id', 'title', 'description', 'type', 'properties', 'required', 'additionalProperties',
  'propertyNames', 'items', 'anyOf', 'enum', 'const', 'minimum', 'maximum', '$defs', '$ref',
])
const JSON_TYPES = new Set(['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'])

/** Structural problems of a schema node and its children (unknown keyword, bad type, dangling required). */
function schemaProblems(node: Node, path = '#'): string[] {
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
function validate(node: Node, value: unknown, path = '$'): string[] {
  if (node.anyOf) {
    return node.anyOf.some((alt: Node) => validate(alt, value, path).length === 0) ? [] : [`${path}: matches no alternative`]
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
      if (sub) errors.push(...validate(sub, v, `${path}.${key}`))
      else if (node.additionalProperties === false) errors.push(`${path}: unexpected ${key}`)
      if (node.propertyNames) errors.push(...validate(node.propertyNames, key, `${path}[key ${key}]`))
    }
  }
  if (Array.isArray(value) && node.items) value.forEach((item, i) => errors.push(...validate(node.items, item, `${path}[${i}]`)))
  return errors
}

describe('levelJsonSchema', () => {
  const schema = levelJsonSchema()

  it('is a structurally sound draft 2020-12 schema of an object', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema')
    expect(schema.type).toBe('object')
    expect(schemaProblems(schema)).toEqual([])
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema)
  })

  it('pins schema and schemaVersion', () => {
    const properties = schema.properties as Node
    expect(schema.required).toEqual(expect.arrayContaining(['schema', 'schemaVersion']))
    expect(properties.schemaVersion).toMatchObject({type: 'integer', const: LEVEL_SCHEMA_VERSION})
    expect(properties.schema).toMatchObject({const: 'nestreport/level'})
    expect(schema.title).toBe(`nestreport/level version ${LEVEL_SCHEMA_VERSION}`)
  })

  it('accepts every hand-built model as report.json holds it', () => {
    for (const model of [pvmL1Model(), intelL0Model(), sparseModel()]) {
      expect(validate(schema, JSON.parse(JSON.stringify(model)))).toEqual([])
    }
  })

  it('rejects documents that break it', () => {
    const newer = {...pvmL1Model(), schemaVersion: LEVEL_SCHEMA_VERSION + 1}
    expect(validate(schema, newer)).toContain(`$.schemaVersion: must be ${LEVEL_SCHEMA_VERSION}`)
    const {cpu: _cpu, ...noCpu} = pvmL1Model()
    expect(validate(schema, noCpu)).toContain('$: missing cpu')
    const badParam = pvmL1Model() as any
    badParam.kvm.modules[0].parameters.nested = true
    expect(validate(schema, badParam)).toContain('$.kvm.modules[0].parameters.nested: expected string, got boolean')
  })

  it('lets a newer compatible writer add fields', () => {
    expect(validate(schema, {...pvmL1Model(), findings: []})).toEqual([])
  })
})

describe('nestreport schema', () => {
  async function run(args: string[]): Promise<string> {
    const chunks: string[] = []
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
      chunks.push(String(chunk))
      return true
    })
    try {
      await Schema.run(args, import.meta.url)
    } finally {
      spy.mockRestore()
    }
    return chunks.join('')
  }

  it('prints the JSON Schema', async () => {
    expect(JSON.parse(await run([]))).toEqual(levelJsonSchema())
  })

  it('prints the same under --json', async () => {
    expect(JSON.parse(await run(['--json']))).toEqual(levelJsonSchema())
  })
})
