import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import type {LevelModel} from '../../src/model/level.js'
import {isNestreportError} from '../../src/lib/errors.js'
import {renderLevelReport} from '../../src/render/level.js'
import {intelL0Model, pvmL1Model, sparseModel} from '../helpers/level-model.js'

/** Fenced code blocks as CommonMark reads them: each block's body. */
function fencedBlocks(md: string): string[] {
  const blocks: string[] = []
  const lines = md.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,})[^`]*$/.exec(lines[i])
    if (!open) continue
    const close = new RegExp(`^ {0,3}\`{${open[1].length},}\\s*$`)
    const end = lines.findIndex((l, j) => j > i && close.test(l))
    const stop = end === -1 ? lines.length : end
    blocks.push(lines.slice(i + 1, stop).join('\n'))
    i = stop
  }
  return blocks
}

/** The document's lines with each fenced block (fences included) replaced by one empty line. */
function linesOutsideFences(md: string): string[] {
  const out: string[] = []
  let fence: RegExp | null = null
  for (const line of md.split('\n')) {
    if (fence) {
      if (fence.test(line)) fence = null
      continue
    }
    const open = /^ {0,3}(`{3,})[^`]*$/.exec(line)
    if (open) {
      fence = new RegExp(`^ {0,3}\`{${open[1].length},}\\s*$`)
      out.push('')
    } else out.push(line)
  }
  return out
}

/** The document outside fenced blocks, with code spans removed: what markdown parses as prose. */
function proseOnly(md: string): string {
  return linesOutsideFences(md)
    .join('\n')
    .replace(/(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g, '')
    .replace(/`+ `+/g, '')
}

/** GFM cells of a table row, splitting on unescaped pipes. */
function cells(row: string): string[] {
  return row.replace(/^\||\|$/g, '').split(/(?<!\\)\|/)
}

/** Every table row has as many cells as its header. */
function tablesConsistent(md: string): boolean {
  // Lines of a fenced block (an oops text starting with "|") are not table rows.
  let width = 0
  for (const line of linesOutsideFences(md)) {
    if (!line.startsWith('|')) {
      width = 0
      continue
    }
    if (width === 0) width = cells(line).length
    else if (cells(line).length !== width) return false
  }
  return true
}

/** Lines over 72 columns in plain text, other than an indented single token (+ shell "\"). */
function overlongLines(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 72 && line.trim().replace(/ \\$/, '').includes(' '))
}

const HTML_ENTITY = /&(lt|gt|amp|quot|#x60|#x3D|#x27|#39);/

describe('level report, PVM L1', () => {
  const model = pvmL1Model()
  const md = renderLevelReport(model, 'md')
  const text = renderLevelReport(model, 'text')

  it('opens with the level, why, and a one-line verdict', () => {
    const head = md.split('\n').slice(0, 6).join('\n')
    expect(head).toContain('# nestreport: L1 on vm')
    expect(head).toContain(
      '**L1: KVM guest (hypervisor flag (CPUID.1:ECX\\[31\\]), CPUID 0x40000000 = KVMKVMKVM, "Hypervisor detected: KVM", ...) that provides /dev/kvm through kvm_pvm — not VMX/SVM; runs 1 QEMU guest: l2tcg on TCG**',
    )
    expect(md).toContain('Level **L1** (guest hypervisor): detected from the evidence.')
    expect(md).toContain('- hypervisor flag set in /proc/cpuinfo: this level is a guest')
  })

  it('puts the versions and switches asked for first at a glance', () => {
    const glance = md.slice(md.indexOf('At a glance:'), md.indexOf('## Hypervisor'))
    expect(glance).toContain('- **Kernel:** 6.18.44-fc-v657 (Debian GNU/Linux 12 (bookworm))')
    expect(glance).toContain('- **Virtualization flags:** vmx no, svm no, hypervisor yes')
    expect(glance).toContain('- **/dev/kvm:** present, mode 0600, owner 0:0, from kvm_pvm')
    expect(glance).toContain('- **QEMU processes:** l2tcg on TCG')
  })

  it('lists the hypervisor evidence with sources and the container separately', () => {
    expect(md).toContain('| CPUID 0x40000000 = KVMKVMKVM | `/dev/cpu/0/cpuid` | kvm |')
    expect(md).toContain('**Container:** runs inside a docker container; this is separate from the VM answer above.')
    expect(md).toContain('- /.dockerenv exists (`/.dockerenv`)')
  })

  it('carries the CPU, kernel and QEMU facts a developer asks for', () => {
    for (const fact of ['AMD EPYC', 'AuthenticAMD', '25 / 1 / 1', '0x1000065', '`KVMKVMKVM`', '**hypervisor** yes', '**vmx** no']) {
      expect(md).toContain(fact)
    }
    expect(fencedBlocks(md)).toContain(model.cpu.flags.join(' '))
    expect(fencedBlocks(md)).toContain(model.kernel.cmdline.value)
    expect(md).toContain('4096 = O')
    expect(md).toContain('Accelerator: **TCG**')
    expect(md).toContain('- **-cpu:** `qemu64,svm=on`')
    expect(md).toContain('qemu (TCG: no KVM acceleration)')
    expect(fencedBlocks(md).some((b) => b.includes('    -accel tcg \\') && b.includes("-append 'console=ttyS0 panic=-1 quiet'"))).toBe(true)
  })

  it('tables every parameter of every kvm module with its live value', () => {
    for (const module of model.kvm.modules) {
      expect(md).toContain(`### Module \`${module.name}\``)
      for (const [name, value] of Object.entries(module.parameters)) {
        expect(md).toMatch(new RegExp(`^\\| (\\*\\*)?\`${name}\`(\\*\\*)? \\| (\\*\\*)?\`${value}\`(\\*\\*)? \\|`, 'm'))
        expect(text).toMatch(new RegExp(`^ {2}[ *] ${name}: +${value}$`, 'm'))
      }
    }
    expect(md).toContain('| **`tdp_mmu`** | **`N`** | TDP MMU used for EPT/NPT page tables |')
  })

  it('says what was not collected and why, and that identity was not redacted', () => {
    for (const item of model.notCollected) expect(md).toContain(`- \`${item.what}\` (${item.group}): not collected because `)
    expect(md).toContain('--redact was not used')
    expect(md).toContain('- **Tool:** nestreport 0.1.0')
    expect(md).toContain('- **User:** uid 0 (root)')
    expect(md).toContain('- **Command timeout:** 10 s')
  })

  it('has no HTML entities, consistent tables and no raw HTML from the model', () => {
    expect(md).not.toMatch(HTML_ENTITY)
    expect(text).not.toMatch(HTML_ENTITY)
    expect(tablesConsistent(md)).toBe(true)
    const stray = proseOnly(md).replace(/<\/?(details|summary)>|<br>/g, '')
    expect(stray).not.toMatch(/(?<!\\)</)
  })

  it('keeps plain text within 72 columns except unbreakable tokens', () => {
    expect(overlongLines(text)).toEqual([])
    expect(text).not.toContain('|')
    expect(text).toContain('L1: KVM guest')
    expect(text).toContain('--redact was not used')
  })

  it('matches the reviewed golden files', async () => {
    await expect(md).toMatchFileSnapshot('./__snapshots__/level-pvm-l1.md')
    await expect(text).toMatchFileSnapshot('./__snapshots__/level-pvm-l1.txt')
  })
})

describe('level report, Intel L0', () => {
  const model = intelL0Model()
  const md = renderLevelReport(model, 'md')
  const text = renderLevelReport(model, 'text')

  it('words bare metal with VMX and nesting on', () => {
    expect(md).toContain('that provides /dev/kvm through kvm_intel on VMX, nested=on; runs 1 QEMU guest: l1 on KVM')
    expect(md).toContain('| **`nested`** | **`Y`** | exposes VMX/SVM to guests: required for an L1 hypervisor |')
    expect(md).toContain('| `/etc/modprobe.d/kvm.conf` | 2 | `kvm_intel` | `nested=1` |')
    expect(md).toContain('- **/dev/kvm accessible (read-write):** yes for uid 1000')
    expect(md).toContain('Raw CPUID: not read (see Not collected).')
    expect(md).toContain('| `sys_vendor` | Dell Inc. |')
    expect(md).toContain('- **Nesting switches:** nested=on, ept=on, enable_shadow_vmcs=on, enable_apicv=on, unrestricted_guest=on, tdp_mmu=off, ignore_msrs=off')
  })

  it('shows each oops with its facts and its text in a fence', () => {
    const oops = model.kernelLog.oopses[0]
    expect(md).toContain(`### ${oops.title}`)
    expect(md).toContain(`- **stack hash:** ${oops.stackHash}`)
    expect(fencedBlocks(md)).toContain(oops.text)
    expect(text).toContain('[ 8123.004702]  <TASK>')
  })

  it('says plainly that the redaction stage did not run', () => {
    expect(md).toContain('The redaction stage did not run for this report.')
    expect(md).not.toContain('Secrets removed: none found.')
  })

  it('keeps its text within 72 columns and its markdown clean', () => {
    expect(overlongLines(text)).toEqual([])
    expect(md).not.toMatch(HTML_ENTITY)
    expect(tablesConsistent(md)).toBe(true)
  })
})

describe('level report, edge cases', () => {
  it('renders a level where almost nothing was readable', () => {
    const md = renderLevelReport(sparseModel(), 'md')
    expect(md).toContain('**Level unknown: not known whether guest or bare metal; /dev/kvm state unknown**')
    expect(md).toContain('the evidence was not enough to tell the level')
    expect(md).toContain('No kvm module was found in /sys/module.')
    expect(md).toContain('- `/proc/cpuinfo` (cpu): not collected because permission denied')
    expect(overlongLines(renderLevelReport(sparseModel(), 'text'))).toEqual([])
  })

  it('keeps an override beside the detected level', () => {
    const model = pvmL1Model()
    model.level.override = 'L2'
    model.level.effective = 'L2'
    const md = renderLevelReport(model, 'md')
    expect(md).toContain('Level **L2** (guest hypervisor): given with --level L2; the evidence says L1.')
    expect(md.split('\n')[2]).toMatch(/^\*\*L2: /)
  })

  it('cannot be broken by hostile kernel and QEMU text', () => {
    const hostile = fc.string({unit: fc.constantFrom('`', '```', '|', '\\', '\n', '<', '>', '*', '_', 'a', ' ', '#', '-')})
    fc.assert(
      fc.property(hostile, hostile, hostile, (oopsText, message, value) => {
        const model: LevelModel = intelL0Model()
        model.kernelLog.oopses[0].text = oopsText
        model.kernelLog.kvmMessages[0].text = message
        model.kvm.modules[1].parameters.nested = value
        model.virt.evidence[0].fact = message
        const md = renderLevelReport(model, 'md')
        expect(fencedBlocks(md)).toContain(oopsText.endsWith('\n') ? oopsText.slice(0, -1) : oopsText)
        expect(tablesConsistent(md)).toBe(true)
        expect(fencedBlocks(md)).toHaveLength(fencedBlocks(renderLevelReport(intelL0Model(), 'md')).length)
      }),
      {numRuns: 60},
    )
  })

  it('renders a user template with the same view model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestreport-tpl-'))
    try {
      const path = join(dir, 'mine.hbs')
      writeFileSync(path, '{{level.effective}} {{kvm.vendorModule}} {{code cpu.flagsSource}}')
      expect(renderLevelReport(pvmL1Model(), 'md', path)).toBe('L1 kvm_pvm `/proc/cpuinfo`\n')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('refuses a missing template with a one-line error', () => {
    let error: unknown
    try {
      renderLevelReport(pvmL1Model(), 'md', '/nonexistent/mine.hbs')
    } catch (error_) {
      error = error_
    }
    expect(isNestreportError(error)).toBe(true)
    expect((error as Error).message).toBe('cannot read template /nonexistent/mine.hbs: not found')
  })
})
