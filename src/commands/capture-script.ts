import path from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/base-command.js'

export interface CaptureScriptResult {
  /** Where the script or the decoded archive was written; null when the script went to stdout. */
  written: string | null
  bytes: number
  /** The script text, under --json when it is not written to a file. */
  script?: string
  /** --decode: the capture's top directory inside the archive. */
  capture?: string
}

/** Prints the POSIX capture script, or turns a serial-console log of its -b output back into the archive. */
export default class CaptureScript extends BaseCommand {
  static override summary = 'Print a POSIX sh script that captures a level without Node (busybox, dash).'
  static override description = `For levels with no Node.js (minimal images, busybox initramfs, appliances). The script captures what collect captures, into the same layout:
  sh capture.sh -o DIR    writes DIR/nestreport-<level>-<host>-<UTC>.tar.gz
  sh capture.sh -o -      writes the .tar.gz to standard output
  sh capture.sh -b        writes it base64-encoded between the lines "--- nestreport capture begin ---" and "--- nestreport capture end ---" (for a serial console)
Other script options: -l L0|L1|L2, -L LABEL, -t SECONDS, -r ROOTDIR, -h. Give the archive to "nestreport report" like any bundle. With --decode, a saved console log is turned back into the .tar.gz (written into -o DIR).`
  static override examples = [
    '<%= config.bin %> capture-script > capture.sh && scp capture.sh guest: && ssh guest sh capture.sh -o /tmp',
    '<%= config.bin %> capture-script --decode serial.log -o .',
  ]
  static override enableJsonFlag = true
  static override flags = {
    output: Flags.string({
      char: 'o',
      summary: 'Write the script to this file instead of standard output; with --decode, the directory for the archive (default: .).',
    }),
    decode: Flags.string({summary: 'A serial-console log holding the output of "sh capture.sh -b": write the capture it carries as a .tar.gz.'}),
    timeout: Flags.integer({char: 't', min: 1, summary: "The script's default per-command timeout in seconds (its -t option overrides it).", default: 10}),
  }

  async run(): Promise<CaptureScriptResult> {
    const {flags} = await this.parse(CaptureScript)
    if (flags.decode !== undefined) return this.decode(flags.decode, flags.output ?? '.')
    const {renderCaptureScript} = await import('../capture/script.js')
    const script = renderCaptureScript({producerVersion: this.config.version, timeoutSeconds: flags.timeout})
    const bytes = Buffer.byteLength(script)
    if (flags.output === undefined) {
      if (this.jsonEnabled()) return {written: null, bytes, script}
      process.stdout.write(script)
      return {written: null, bytes}
    }
    const {writeFileExclusive} = await import('../bundle/write.js')
    const ext = path.extname(flags.output)
    const written = await writeFileExclusive({
      outputDir: path.dirname(flags.output),
      baseName: path.basename(flags.output, ext),
      ext,
      data: script,
    })
    if (!this.jsonEnabled()) this.log(written)
    return {written, bytes}
  }

  private async decode(log: string, outputDir: string): Promise<CaptureScriptResult> {
    const [{readTextInput}, {writeSerialCapture}] = await Promise.all([import('../lib/read-input.js'), import('../capture/serial.js')])
    // Consoles put stray control bytes in their logs: read it as text whatever it looks like.
    const text = await readTextInput(log, {rejectBinary: false})
    const {written, topDir, bytes} = await writeSerialCapture(text, {outputDir, source: log})
    if (!this.jsonEnabled()) this.log(written)
    return {written, bytes, capture: topDir}
  }
}
