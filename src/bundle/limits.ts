/**
 * Ceilings for reading a bundle that came from someone else. A bundle is read into memory without
 * touching the disk, so these bound what a hostile archive (gzip bomb, millions of empty entries,
 * one huge entry) can cost before it is refused. Honest bundles are a few MB: collect caps each log
 * at 8 MiB and the whole capture stays far below the totals.
 */
export interface BundleLimits {
  /** Largest single entry, uncompressed. */
  maxEntryBytes: number
  /** Largest tar stream, uncompressed (headers, padding and data), counted as it streams. */
  maxTotalBytes: number
  /** Most entries (files and directories). */
  maxEntries: number
  /** Longest entry name. */
  maxNameLength: number
}

export const DEFAULT_BUNDLE_LIMITS: BundleLimits = {
  maxEntryBytes: 64 * 1024 * 1024,
  maxTotalBytes: 512 * 1024 * 1024,
  maxEntries: 50_000,
  maxNameLength: 4096,
}

export function bundleLimits(overrides: Partial<BundleLimits> = {}): BundleLimits {
  return {...DEFAULT_BUNDLE_LIMITS, ...overrides}
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KiB`
  return `${n} bytes`
}
