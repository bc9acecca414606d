import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {
  fence,
  inlineCode,
  keyValue,
  markdownText,
  shellCommand,
  shellQuote,
  tableCell,
  tableCellCode,
  textBlock,
  wrapText,
} from '../../src/render/text.js'

/** The body of the first fenced block in `md` as CommonMark closes it, and the fence length. */
function firstFencedBlock(md: string): {ticks: number; body: string} {
  const lines = md.split('\n')
  const open = lines.findIndex((l) => /^ {0,3}`{3,}/.test(l))
  const ticks = /^ {0,3}(`+)/.exec(lines[open])![1].length
  const close = lines.findIndex((l, i) => i > open && new RegExp(`^ {0,3}\`{${ticks},}\\s*$`).test(l))
  return {ticks, body: lines.slice(open + 1, close === -1 ? undefined : close).join('\n')}
}

/** Whether every `|` in `text` is escaped by an odd run of backslashes. */
function pipesEscaped(text: string): boolean {
  return [...text.matchAll(/(\\*)\|/g)].every((m) => m[1].length % 2 === 1)
}

describe('fence', () => {
  it('uses three backticks for plain text', () => {
    expect(fence('Hypervisor detected: KVM')).toBe('```\nHypervisor detected: KVM\n```')
  })

  it('outgrows ``` and ```` runs inside the content', () => {
    const dmesg = 'before\n```\ninside\n````\nafter'
    const out = fence(dmesg)
    expect(out.startsWith('`````\n')).toBe(true)
    expect(out.endsWith('\n`````')).toBe(true)
    expect(firstFencedBlock(out).body).toBe(dmesg)
  })

  it('keeps an info string and drops one trailing newline', () => {
    expect(fence('qemu \\\n  -accel kvm\n', 'sh')).toBe('```sh\nqemu \\\n  -accel kvm\n```')
  })

  it('can never be closed early by its content', () => {
    fc.assert(
      fc.property(fc.string({unit: fc.constantFrom('`', '`', ' ', 'a', '\n', '~')}), (text) => {
        const body = text.endsWith('\n') ? text.slice(0, -1) : text
        expect(firstFencedBlock(fence(text)).body).toBe(body)
      }),
    )
  })
})

describe('inlineCode', () => {
  it('wraps names in single backticks', () => {
    expect(inlineCode('kvm_intel')).toBe('`kvm_intel`')
  })

  it('uses a longer delimiter and padding around backticks', () => {
    expect(inlineCode('a ` b')).toBe('``a ` b``')
    expect(inlineCode('`x`')).toBe('`` `x` ``')
  })

  it('flattens newlines and never yields an empty span', () => {
    expect(inlineCode('a\nb')).toBe('`a b`')
    expect(inlineCode('')).toBe('` `')
  })
})

describe('tableCell', () => {
  it('escapes backslashes and pipes and keeps line breaks as <br>', () => {
    expect(tableCell('a|b\\c\nd')).toBe('a\\|b\\\\c<br>d')
  })

  it('makes HTML and emphasis inert', () => {
    expect(tableCell('<TASK> *x* [k]')).toBe('\\<TASK\\> \\*x\\* \\[k\\]')
  })

  it('never leaves an unescaped pipe or a newline', () => {
    fc.assert(
      fc.property(fc.string({unit: fc.constantFrom('|', '\\', '\n', 'a', ' ', '`')}), (text) => {
        const cell = tableCell(text)
        expect(cell).not.toContain('\n')
        expect(pipesEscaped(cell)).toBe(true)
      }),
    )
  })

  it('escapes pipes inside code spans too (GFM splits cells first)', () => {
    expect(tableCellCode('a|b')).toBe('`a\\|b`')
  })
})

describe('markdownText', () => {
  it('keeps identifiers with inner underscores readable', () => {
    expect(markdownText('kvm_intel nested_early_check')).toBe('kvm_intel nested_early_check')
  })

  it('escapes underscores at word edges and markdown openers', () => {
    expect(markdownText('__user `x` <b>')).toBe('\\_\\_user \\`x\\` \\<b\\>')
  })
})

describe('wrapText', () => {
  it('wraps at 72 columns keeping indentation and bullet hang', () => {
    const text = `  - ${'word '.repeat(30).trim()}`
    const lines = wrapText(text).split('\n')
    expect(lines.length).toBeGreaterThan(1)
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(72)
    expect(lines[0].startsWith('  - word')).toBe(true)
    for (const line of lines.slice(1)) expect(line.startsWith('    word')).toBe(true)
  })

  it('never splits a token longer than the width', () => {
    const path = `/sys/devices/system/clocksource/clocksource0/${'x'.repeat(60)}`
    const lines = wrapText(`see ${path} now`).split('\n')
    expect(lines).toEqual(['see', path, 'now'])
  })

  it('keeps every word, in order, and breaks only between words', () => {
    fc.assert(
      fc.property(fc.array(fc.string({unit: fc.constantFrom('a', 'b', '/', '-'), minLength: 1, maxLength: 90}), {maxLength: 40}), (words) => {
        const out = wrapText(words.join(' '))
        expect(out.split(/\s+/).filter(Boolean)).toEqual(words)
        for (const line of out.split('\n')) {
          if (line.length > 72) expect(line.trim()).not.toContain(' ')
        }
      }),
    )
  })
})

describe('textBlock', () => {
  it('indents and continues long kernel lines without losing spacing', () => {
    const line = `[    0.412230] kvm-pvm: mmio caching disabled (nested host: no EPT/NPT) ${'z'.repeat(10)}`
    const out = textBlock(line)
    const lines = out.split('\n')
    expect(lines[0].startsWith('    [    0.412230] kvm-pvm:')).toBe(true)
    expect(lines[1].startsWith('      ')).toBe(true)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(72)
  })

  it('keeps a shell continuation on the line it ends', () => {
    const long = `'${'j'.repeat(80)}'`
    expect(textBlock(`${long} \\`)).toBe(`    ${long} \\`)
  })
})

describe('keyValue', () => {
  it('aligns values after a padded key and hangs continuation lines', () => {
    const out = keyValue('Microcode', 'a '.repeat(40).trim(), 12)
    const lines = out.split('\n')
    expect(lines[0].startsWith('Microcode:  a a')).toBe(true)
    expect(lines[1].startsWith(' '.repeat(12) + 'a')).toBe(true)
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(72)
  })

  it('keeps a space after a key longer than the column', () => {
    expect(keyValue('a-very-long-parameter-name', 'Y', 10, '  ')).toBe('  a-very-long-parameter-name: Y')
  })
})

describe('shell command lines', () => {
  it('quotes only words that need it', () => {
    expect(shellQuote('host,migratable=on')).toBe('host,migratable=on')
    expect(shellQuote("it's {json}")).toBe(`'it'\\''s {json}'`)
  })

  it('puts one option with its value per line', () => {
    expect(shellCommand(['qemu-system-x86_64', '-accel', 'kvm', '-nographic', '-cpu', 'host'])).toBe(
      'qemu-system-x86_64 \\\n    -accel kvm \\\n    -nographic \\\n    -cpu host',
    )
  })

  it('splits an option from an over-long value within a width', () => {
    const json = `{"qom-type":"secret","data":"${'x'.repeat(60)}"}`
    const lines = shellCommand(['qemu', '-object', json], 68).split('\n')
    expect(lines).toEqual(['qemu \\', '    -object \\', `    '${json}'`])
  })
})
