/**
 * report.json's JSON Schema, generated from the zod model on demand (`nestreport schema`) so it
 * can never drift from the code; it is not committed as a file. docs/report-json.md explains the
 * fields and the versioning policy for people.
 */
import {z} from 'zod'

import {COMBINED_SCHEMA, COMBINED_SCHEMA_VERSION, CombinedModel} from './combined.js'
import {LEVEL_SCHEMA, LEVEL_SCHEMA_VERSION, LevelModel} from './level.js'

export type JsonSchema = Record<string, unknown>

/**
 * JSON Schema (draft 2020-12) of a versioned document. Generated for input ("io: input"), so
 * unknown properties are allowed: adding a field is a compatible change that does not bump
 * schemaVersion, and readers ignore fields they do not know.
 */
function documentJsonSchema(model: z.ZodType, id: {kind: string; schema: string; version: number; description: string}): JsonSchema {
  const generated = z.toJSONSchema(model, {target: 'draft-2020-12', io: 'input'}) as JsonSchema & {properties: Record<string, unknown>}
  return {
    ...generated,
    $id: `urn:nestreport:schema:${id.kind}:${id.version}`,
    title: `${id.schema} version ${id.version}`,
    description: `${id.description} Check schema and schemaVersion first; refuse a schemaVersion newer than the one you know.`,
    properties: {
      ...generated.properties,
      schemaVersion: {type: 'integer', const: id.version, description: 'Bumped on every incompatible change; this schema describes exactly this version.'},
    },
  }
}

/** One level's report.json (from collect) at schemaVersion LEVEL_SCHEMA_VERSION. */
export function levelJsonSchema(): JsonSchema {
  return documentJsonSchema(LevelModel, {
    kind: 'level',
    schema: LEVEL_SCHEMA,
    version: LEVEL_SCHEMA_VERSION,
    description: 'One virtualization level (L0 bare metal, L1 guest hypervisor, L2 nested guest) as nestreport saw it.',
  })
}

/** The combined report.json (from report) at schemaVersion COMBINED_SCHEMA_VERSION. */
export function combinedJsonSchema(): JsonSchema {
  return documentJsonSchema(CombinedModel, {
    kind: 'combined',
    schema: COMBINED_SCHEMA,
    version: COMBINED_SCHEMA_VERSION,
    description: 'A nested setup: every level\'s model, the chain, the side-by-side comparison, findings and the kernel checklist.',
  })
}
