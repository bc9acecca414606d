/**
 * The `sh` tag every part of the capture script is written with. The script targets dash and
 * busybox ash: no arrays, no `local`, no `[[`, no `$'...'`, no process substitution; external tools
 * limited to what busybox and coreutils both have (cat, tail, wc, od, dd, tr, sort, stat or ls,
 * readlink, tar, gzip, base64 or uuencode). Every variable is prefixed nr_ because functions share
 * one namespace.
 *
 * The parts mirror the live walker (walk-context.ts, walk.ts, walk-processes.ts): same statuses,
 * reasons, stored names and derived-record formats, so a script capture and a live capture parse
 * to the same model.
 */

/**
 * Shell source as written: backslashes stay as they are (String.raw), and a shell `${`, which a
 * template literal would take for a substitution, is written `\${` and restored here.
 */
export function sh(strings: TemplateStringsArray, ...values: unknown[]): string {
  return String.raw(strings, ...values).replaceAll('\\${', '${')
}
