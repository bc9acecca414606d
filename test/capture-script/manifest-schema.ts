/**
 * CaptureManifest (src/capture/types.ts) as a strict zod schema, so a manifest written by the
 * shell script is checked member by member: no missing, extra or mistyped field. The `satisfies`
 * lines make tsc fail if types.ts changes and this copy does not.
 */
import {z} from 'zod'

import {CAPTURE_FORMAT, type CaptureManifest, type ManifestEntry} from '../../src/capture/types.js'

const Entry = z.strictObject({
  kind: z.enum(['file', 'command', 'stat', 'links', 'cpuid']),
  id: z.string().min(1),
  group: z.string().min(1),
  argv: z.array(z.string()).optional(),
  status: z.enum(['ok', 'missing', 'permission-denied', 'timed-out', 'failed', 'skipped']),
  exitCode: z.number().int().nullable().optional(),
  durationMs: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative().optional(),
  stored: z.string().optional(),
  reason: z.string().optional(),
  truncated: z.boolean().optional(),
})

const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/

export const ManifestSchema = z.strictObject({
  format: z.literal(CAPTURE_FORMAT),
  formatVersion: z.number().int(),
  producer: z.strictObject({name: z.string(), version: z.string()}),
  source: z.enum(['live', 'sysroot', 'script']),
  startedAt: z.string().regex(ISO_UTC),
  finishedAt: z.string().regex(ISO_UTC),
  hostname: z.string(),
  arch: z.string(),
  user: z.strictObject({uid: z.number().int(), root: z.boolean()}),
  label: z.string().optional(),
  levelOverride: z.string().optional(),
  timeoutSeconds: z.number().int().positive(),
  entries: z.array(Entry),
})

// Both directions: the schema's output fits the type, and the type fits the schema's input.
void (null as unknown as z.infer<typeof Entry> satisfies ManifestEntry)
void (null as unknown as ManifestEntry satisfies z.input<typeof Entry>)
void (null as unknown as z.infer<typeof ManifestSchema> satisfies CaptureManifest)
void (null as unknown as CaptureManifest satisfies z.input<typeof ManifestSchema>)

export function parseManifest(text: string): CaptureManifest {
  return ManifestSchema.parse(JSON.parse(text))
}
