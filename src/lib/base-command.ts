import {Command, Errors} from '@oclif/core'

import {EXIT, isNestreportError} from './errors.js'

/**
 * Base for every nestreport command. oclif's own catch() exits 1 for every error under --json and
 * prints a stack for unexpected ones; here a NestreportError keeps its distinct exit code in both
 * modes and is printed as one line, so scripts can rely on the status.
 */
export abstract class BaseCommand extends Command {
  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (isNestreportError(error)) {
      process.exitCode = error.exitCode
      if (this.jsonEnabled()) {
        this.logJson({error: {code: error.code, exitCode: error.exitCode, message: error.message}})
      } else {
        process.stderr.write(`nestreport: ${error.message}\n`)
      }
      return
    }
    // oclif parse errors (unknown flag, missing arg) already carry exit 2; keep it under --json too.
    if (error instanceof Errors.CLIError && error.oclif?.exit !== undefined) {
      ;(error as Error & {exitCode?: number}).exitCode = error.oclif.exit
    }
    return super.catch(error)
  }

  /** Progress for humans: stderr, only when it is a terminal, never in --json mode. */
  protected progress(message: string): void {
    if (process.stderr.isTTY && !this.jsonEnabled()) process.stderr.write(`${message}\n`)
  }

  protected exitWith(code: number): void {
    if (code !== EXIT.ok) process.exitCode = code
  }
}
