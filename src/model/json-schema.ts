/**
 * report.json's JSON Schema, generated from the zod model on demand (`nestreport schema`) so it
 * can never drift from the code; it is not committed as a file. docs/report-json.md explains the
 * fields and the versioning policy for people.
 */
import {z} from 'zod'

import {LEVEL_SCHEMA, LEVEL_SCHEMA_VERSION, LevelModel} from './level.js'

export type JsonSchema = Record<string, unknown>

/**
 * JSON Schema (draft 2020-12) of one level's report.json at schemaVersion LEVEL_SCHEMA_VERSION.
 * Generated for input ("io: input"), so unknown properties are allowed: adding a field is a
 * compatible change that does not bump schemaVersion, and readers ignore fields they do not know.
 */
export function levelJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(LevelModel, {target: 'draft-2020-12', io: 'input'}) as JsonSchema & {
    properties: Record<string, unknown>
  }
  return {
    ...generated,
    $id: `urn:nestreport:schema:level:${LEVEL_SCHEMA_VERSION}`,
    title: `${LEVEL_SCHEMA} version ${LEVEL_SCHEMA_VERSION}`,
    description:
      'One virtualization level (L0 bare metal, L1 guest hypervisor, L2 nested guest) as nestreport saw it. ' +
      'Check schema and schemaVersion first; refuse a schemaVersion newer than the one you know.',
    properties: {
      ...generated.properties,
      schemaVersion: {
        type: 'integer',
        const: LEVEL_SCHEMA_VERSION,
        description: 'Bumped on every incompatible change; this schema describes exactly this version.',
      },
    },
  }
}
