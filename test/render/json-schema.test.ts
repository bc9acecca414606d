import {describe, expect, it, vi} from 'vitest'

import Schema from '../../src/commands/schema.js'
import {combineLevels} from '../../src/analyse/combine.js'
import {COMBINED_SCHEMA_VERSION} from '../../src/model/combined.js'
import {combinedJsonSchema, levelJsonSchema} from '../../src/model/json-schema.js'
import {LEVEL_SCHEMA_VERSION} from '../../src/model/level.js'
import {intelL0Model, pvmL1Model, sparseModel} from '../helpers/level-model.js'
import {schemaProblems, validateAgainstSchema as validate, type SchemaNode as Node} from '../helpers/json-schema-check.js'

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

describe('combinedJsonSchema', () => {
  const schema = combinedJsonSchema()

  it('is a sound schema pinning the combined document and its version', () => {
    expect(schemaProblems(schema)).toEqual([])
    expect((schema.properties as Node).schemaVersion).toMatchObject({type: 'integer', const: COMBINED_SCHEMA_VERSION})
    expect((schema.properties as Node).schema).toMatchObject({const: 'nestreport/combined'})
  })

  it('accepts a combined model as report.json holds it, and refuses a newer version', () => {
    const combined = JSON.parse(JSON.stringify(combineLevels([{model: intelL0Model(), bundleName: 'l0.tar.gz'}, {model: pvmL1Model(), bundleName: 'l1.tar.gz'}])))
    expect(validate(schema, combined)).toEqual([])
    expect(validate(schema, {...combined, schemaVersion: COMBINED_SCHEMA_VERSION + 1})).toContain(`$.schemaVersion: must be ${COMBINED_SCHEMA_VERSION}`)
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

  it('prints the combined report.json schema when asked', async () => {
    expect(JSON.parse(await run(['combined']))).toEqual(combinedJsonSchema())
  })
})
