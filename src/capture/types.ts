/**
 * The capture contract: what the capture stage hands to the parse stage, and what a bundle or a
 * shell-script capture holds on disk. Three producers write it (live machine, --sysroot directory,
 * the POSIX capture script run in a guest without Node) and one parser reads it, so the analysis is
 * a single code path whatever the level had installed.
 *
 * On disk a capture is a directory (or the top directory of a .tar.gz):
 *
 *   manifest.json           CaptureManifest: every file read and command run, and how it ended
 *   root/<abs path>         raw files at their real paths (root/proc/cpuinfo, root/sys/module/...)
 *   root/<abs path>@stat    derived: one `key=value` line describing a device node (see StatRecord)
 *   root/<abs dir>@links    derived: `name -> target` lines for a directory of symlinks (/proc/PID/fd)
 *   root/dev/cpu/0/cpuid@leaves   derived: raw CPUID leaves, one `leaf subleaf eax ebx ecx edx` line each
 *   commands/<id>.out       a command's stdout; commands/<id>.err its stderr
 *
 * Derived records exist because device nodes and symlinks must never be stored as such in an
 * archive (a hostile or confusing tarball), yet the parser needs what they said.
 */

export const CAPTURE_FORMAT = 'nestreport-capture'
export const CAPTURE_FORMAT_VERSION = 1

/** How reading one file or running one command ended. */
export type EntryStatus =
  | 'ok'
  | 'missing' // file absent or command not installed (exit 127)
  | 'permission-denied'
  | 'timed-out' // killed after --timeout; partial output kept
  | 'failed' // command ran and exited non-zero, or read error
  | 'skipped' // deliberately not attempted (needs root, not applicable on this arch, fallback not needed)

export interface ManifestEntry {
  kind: 'file' | 'command' | 'stat' | 'links' | 'cpuid'
  /** Absolute path for file/stat/links/cpuid kinds; the command id for commands. */
  id: string
  /** The fact group the entry serves (cpu, kernel, kvm, virt, qemu, libvirt, kernel-log, ...). */
  group: string
  argv?: string[]
  status: EntryStatus
  exitCode?: number | null
  durationMs: number
  bytes?: number
  /** Where the content sits inside the capture, relative to its top directory. */
  stored?: string
  /** Human reason when status is not ok: "needs root", "dmesg_restrict=1", "not installed". */
  reason?: string
  /** The file was larger than its cap and only its tail was kept. */
  truncated?: boolean
}

export interface CaptureManifest {
  format: typeof CAPTURE_FORMAT
  formatVersion: number
  producer: {name: string; version: string}
  /** live: this machine; sysroot: a directory given with --sysroot; script: the POSIX capture script. */
  source: 'live' | 'sysroot' | 'script'
  startedAt: string
  finishedAt: string
  hostname: string
  arch: string
  user: {uid: number; root: boolean}
  /** --label given at capture time. */
  label?: string
  /** --level given at capture time (L0|L1|L2); the detected level is kept beside it by the parser. */
  levelOverride?: string
  /** Per-command timeout in force, seconds. */
  timeoutSeconds: number
  entries: ManifestEntry[]
}

/** What a device node looked like (from root/<path>@stat). */
export interface StatRecord {
  type: 'char' | 'block' | 'file' | 'dir' | 'other'
  mode: string // octal permission bits, e.g. "0600"
  uid: number
  gid: number
  /** "major:minor" for device nodes. */
  rdev?: string
  /** Whether the capturing user could open it for reading and writing. */
  readable: boolean
  writable: boolean
}

export interface CpuidLeaf {
  leaf: number
  subleaf: number
  eax: number
  ebx: number
  ecx: number
  edx: number
}

export interface CommandOutput {
  stdout: Buffer
  stderr: Buffer
}

/**
 * An in-memory capture. Keys of `files` are absolute paths as on the captured machine, including
 * the derived `@stat`, `@links` and `@leaves` records. Parsers read through CaptureView (below), never
 * from the machine, so a live run, a sysroot and a script capture parse identically.
 */
export interface Capture {
  manifest: CaptureManifest
  files: Map<string, Buffer>
  commands: Map<string, CommandOutput>
}
