/**
 * Pure text helpers behind the handlebars helpers (src/render/engine.ts): markdown escaping that
 * kernel text cannot break, and plain-text layout that survives mail clients (72 columns, no
 * tables). Kept free of handlebars so they are unit-tested directly and reusable by any renderer.
 */

const TEXT_WIDTH = 72

/** Longest run of `char` in `text` (0 when absent). */
function longestRun(text: string, char: string): number {
  let longest = 0
  let current = 0
  for (const c of text) {
    current = c === char ? current + 1 : 0
    if (current > longest) longest = current
  }
  return longest
}

/**
 * A fenced code block whose fence is longer than any backtick run inside, so kernel or QEMU text
 * can never close it early (a fixed ``` fence around text holding ``` splits into two blocks).
 */
export function fence(text: string, info = ''): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text
  const ticks = '`'.repeat(Math.max(3, longestRun(body, '`') + 1))
  return `${ticks}${info}\n${body}\n${ticks}`
}

/**
 * Inline code holding any text: a delimiter one backtick longer than the longest run inside, with
 * padding spaces when the text starts or ends with a backtick (CommonMark strips one of each).
 * Newlines become spaces, as they would inside a code span anyway.
 */
export function inlineCode(text: string): string {
  const flat = text.replace(/\r?\n/g, ' ')
  if (flat === '') return '` `'
  const ticks = '`'.repeat(longestRun(flat, '`') + 1)
  const pad = flat.startsWith('`') || flat.endsWith('`') || /^ .* $/.test(flat) ? ' ' : ''
  return `${ticks}${pad}${flat}${pad}${ticks}`
}

/**
 * A GFM table cell holding prose: inline markdown made inert (see markdownText), pipes escaped,
 * line breaks kept as <br>.
 */
export function tableCell(text: string): string {
  return escapeInline(text)
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, '<br>')
}

/**
 * Inline code inside a table cell. GFM splits cells before parsing code spans, so pipes need `\|`
 * even there, while other backslashes stay literal inside the span.
 */
export function tableCellCode(text: string): string {
  return inlineCode(text).replace(/\|/g, '\\|')
}

/**
 * Characters that start code spans, emphasis, links or HTML, backslash-escaped; `_` only where it
 * is not between letters or digits, so names such as kvm_intel stay readable in the raw file.
 */
function escapeInline(text: string): string {
  return text.replace(/[\\`*<>[\]]/g, (c) => `\\${c}`).replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
}

/** Prose from the model (evidence, reasons, kernel messages) made inert for markdown, on one line. */
export function markdownText(text: string): string {
  return escapeInline(text.replace(/\r?\n/g, ' '))
}

/**
 * Break one line at spaces so each piece is at most `width` wide. Spacing inside a piece is kept
 * (kernel timestamps "[    0.4]" stay as printed); tokens longer than the width stand alone, and
 * a shell continuation "\\" stays on the line it ends.
 */
function wrapLine(line: string, width: number, firstIndent: string, restIndent: string): string[] {
  const tokens = line.trimStart().match(/\s*\S+/g)
  if (tokens === null) return [firstIndent.trimEnd()]
  const out: string[] = []
  let current = firstIndent + tokens[0]
  for (const token of tokens.slice(1)) {
    if (current.length + token.length <= width || token.trim() === '\\') {
      current += token
    } else {
      out.push(current)
      current = restIndent + token.trimStart()
    }
  }
  out.push(current)
  return out
}

/** Indentation of a line plus the hanging indent its bullet ("- ", "* ", "1. ") calls for. */
function indents(line: string): {first: string; rest: string; content: string} {
  const m = /^(\s*)((?:[-*]|\d+\.) )?(.*)$/.exec(line) as RegExpExecArray
  const lead = m[1]
  const bullet = m[2] ?? ''
  return {first: lead + bullet, rest: lead + ' '.repeat(bullet.length), content: m[3]}
}

/**
 * Wrap text to `width` columns line by line, keeping each line's indentation (and hanging under a
 * list bullet). Tokens longer than the width (paths, JSON arguments) are never split: a developer
 * must be able to copy them.
 */
export function wrapText(text: string, width = TEXT_WIDTH): string {
  return text
    .split('\n')
    .flatMap((line) => {
      if (line.length <= width) return [line]
      const {first, rest, content} = indents(line)
      return wrapLine(content, width, first, rest)
    })
    .join('\n')
}

/**
 * A preformatted block for plain text (kernel log lines, command lines): indented by `indent`,
 * long lines continued on the next line with two extra spaces, so kernel lines stay recognisable.
 */
export function textBlock(text: string, indent = '    ', width = TEXT_WIDTH): string {
  const body = text.endsWith('\n') ? text.slice(0, -1) : text
  return body
    .split('\n')
    .flatMap((line) => {
      const lead = /^\s*/.exec(line)?.[0] ?? ''
      if (indent.length + line.length <= width) return [(indent + line).trimEnd()]
      return wrapLine(line.slice(lead.length), width, indent + lead, `${indent + lead}  `)
    })
    .join('\n')
}

/**
 * A "key: value" line for plain text: the key padded to `keyWidth`, the value wrapped under itself
 * so the layout survives any mail client (no tables). Multi-line values keep their lines.
 */
export function keyValue(key: string, value: string, keyWidth = 20, indent = '', width = TEXT_WIDTH): string {
  const label = `${indent}${key}:`
  const column = indent.length + keyWidth
  const head = label.length < column ? label.padEnd(column) : `${label} `
  const hang = ' '.repeat(head.length)
  const lines = value === '' ? [''] : value.split('\n')
  const out: string[] = []
  lines.forEach((line, i) => {
    const start = i === 0 ? head : hang
    if (line === '') out.push(start.trimEnd())
    else out.push(...wrapLine(line, width, start, hang))
  })
  return out.join('\n')
}

const SAFE_SHELL_WORD = /^[\w@%+=:,./-]+$/

/** A word quoted for a POSIX shell only when it needs to be. */
export function shellQuote(word: string): string {
  if (SAFE_SHELL_WORD.test(word)) return word
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/**
 * A command line as a copy-pasteable shell command, one option per line with its value
 * ("-cpu host,migratable=on"), joined by backslash continuations: QEMU lines are long and a
 * developer scans them option by option. With `width`, an option whose value would overflow it
 * gets the value on a line of its own, so the command stays valid shell wherever it is cut.
 */
export function shellCommand(argv: readonly string[], width = Number.POSITIVE_INFINITY): string {
  if (argv.length === 0) return ''
  const indent = '    '
  const lines: string[] = [shellQuote(argv[0])]
  for (let i = 1; i < argv.length; i++) {
    const word = shellQuote(argv[i])
    const next = argv[i + 1]
    if (argv[i].startsWith('-') && next !== undefined && !next.startsWith('-')) {
      const value = shellQuote(next)
      const pair = `${word} ${value}`
      if (indent.length + pair.length + 2 <= width) lines.push(pair)
      else lines.push(word, value)
      i++
    } else {
      lines.push(word)
    }
  }
  return lines.map((line, i) => (i === 0 ? line : indent + line)).join(' \\\n')
}
