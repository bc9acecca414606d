/**
 * Property tests of the identity tokenizer and redactor: random mixes of technical tokens (kernel
 * symbols, module parameters, CPU flags, versions, paths) that contain the seeded names as
 * substrings, and of real sensitive tokens in the positions they take in logs.
 */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {emptyIdentitySeeds, IdentityRedactor} from '../../src/redact/identity.js'
import {IdentityMap} from '../../src/redact/identity-map.js'

const HOSTS = ['vm', 'kvm-host', 'node1', 'bigiron7', 'haltpoll', 'debian', 'svm'] as const
const USERS = ['alice', 'bob', 'jdoe'] as const

function makeRedactor(map = new IdentityMap()): IdentityRedactor {
  const seeds = emptyIdentitySeeds()
  for (const h of HOSTS) seeds.hostnames.add(h)
  seeds.hostnames.add('box.corp.example.com')
  for (const u of USERS) seeds.usernames.add(u)
  seeds.serials.add('pf2xk9qz77')
  return new IdentityRedactor(map, seeds)
}

/** Technical words, many of which contain a seeded name: none may change. */
const TECHNICAL_WORDS = [
  'kvm', 'vmx', 'svm_vcpu_run', 'vm_area_struct', 'nested_vmx_vmexit+0x7a/0x90', '[kvm_intel]', 'cpuidle_haltpoll.force=1',
  'haltpoll.guest_halt_poll_ns=200000', 'kvm_intel.nested=1', '6.18.44-fc-v657', 'QEMU', 'emulator', 'version', '8.2.2', '0x40000000',
  'ffffffff81000000', 'vmx_vcpu_run', 'avx512_vnni', 'nested_pvm=1', 'vm-runner', 'computer-vm', '/proc/sys/vm/overcommit_memory',
  'kvm-host-01', 'node1_id', 'bigiron7x', 'xbigiron7', 'debian_version', 'ID=debian', 'alicebob', 'bob_the', '/home', 'jdoe2', 'svm=on',
  'vm.max_map_count=65530', 'kvm_vm_ioctl', 'CPU', '0/KVM', 'Comm:', 'Tainted:', 'G', 'W', 'RIP:', '0010:vmx_vmexit', 'pc-q35-8.2',
  'qemu64,svm=on', 'nodename_x', 'hostname_len', 'corp', 'example', 'box_corp', 'PF2XK9QZ', 'pf2xk9qz770', 'std::vector', '10:00:00',
  '0000:00:1f.6', 'BIOS', '1.8.2', 'v1.2.3.4',
] as const

const technicalWord = fc.oneof(
  fc.constantFrom(...TECHNICAL_WORDS),
  // A seeded name glued to identifier characters: part of a symbol, never a name.
  fc
    .tuple(fc.stringMatching(/^[a-z0-9_]{0,6}$/), fc.constantFrom(...HOSTS, ...USERS), fc.stringMatching(/^[a-z0-9_]{0,6}$/))
    .filter(([pre, , post]) => pre.length + post.length > 0 && (pre === '' || /[a-z0-9_]$/.test(pre)) && (post === '' || /^[a-z0-9_]/.test(post)))
    .map(([pre, name, post]) => `${pre}${name}${post}`),
)

const separator = fc.constantFrom(' ', '  ', '\t', '\n', ', ', '(', ')', '[', '] ', '/', '+')

const technicalText = fc.array(fc.tuple(technicalWord, separator), {maxLength: 40}).map((parts) => parts.map(([w, s]) => w + s).join(''))

/** Addresses outside the public-knowledge and pseudonym ranges. */
const realIpv4 = fc
  .tuple(fc.integer({min: 1, max: 223}), fc.integer({min: 0, max: 255}), fc.integer({min: 0, max: 255}), fc.integer({min: 1, max: 254}))
  .filter(([a, b, c]) => a !== 127 && !(a === 192 && b === 0 && c === 2) && !(a === 198 && (b === 51 || b === 18 || b === 19)) && !(a === 203 && b === 0))
  .map((o) => o.join('.'))
const mac = fc.array(fc.integer({min: 0, max: 255}), {minLength: 6, maxLength: 6}).map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':')).filter((m) => m !== '00:00:00:00:00:00' && m !== 'ff:ff:ff:ff:ff:ff' && !m.startsWith('02:00:00'))
const uuid = fc.uuid().filter((u) => !u.startsWith('00000000-0000-'))
const ipv6 = fc.array(fc.integer({min: 0, max: 0xffff}), {minLength: 4, maxLength: 4}).map((g) => `2a01:${g.map((x) => x.toString(16)).join(':')}::${(g[0] % 250) + 2}`)

const sensitive = fc.oneof(
  fc.constantFrom(...HOSTS).map((h) => `hostname: ${h}`),
  fc.constantFrom(...HOSTS).map((h) => `\nNov 25 10:00:00 ${h} kernel: x`),
  fc.constantFrom(...HOSTS).map((h) => `\n${h} login:`),
  fc.constantFrom(...USERS).map((u) => `/home/${u}/`),
  fc.constant('box.corp.example.com'),
  fc.constant('other.corp.example.com'),
  fc.constant('PF2XK9QZ77'),
  realIpv4,
  mac,
  uuid,
  ipv6,
)

const mixedText = fc.array(fc.tuple(fc.oneof(technicalWord, sensitive), separator), {maxLength: 40}).map((parts) => parts.map(([w, s]) => w + s).join(''))

const runs = {numRuns: 300}

describe('identity redaction properties', () => {
  it('never changes text that holds no identity (symbols, parameters and versions containing seeded names)', () => {
    fc.assert(
      fc.property(technicalText, (text) => {
        expect(makeRedactor().redact(text)).toBe(text)
      }),
      runs,
    )
  })

  it('is idempotent with the same map', () => {
    fc.assert(
      fc.property(mixedText, (text) => {
        const map = new IdentityMap()
        const once = makeRedactor(map).redact(text)
        expect(makeRedactor(map).redact(once)).toBe(once)
      }),
      runs,
    )
  })

  it('never leaves a seeded or recognised real value in the output', () => {
    fc.assert(
      fc.property(fc.array(sensitive, {minLength: 1, maxLength: 20}), separator, (tokens, sep) => {
        const text = tokens.join(sep === '\n' ? '\n' : ` ${sep} `)
        const out = makeRedactor().redact(text)
        expect(out).not.toMatch(/bigiron7|corp\.example\.com|pf2xk9qz77|\/home\/(?:alice|bob|jdoe)\b|hostname: (?:vm|kvm-host|node1|haltpoll|debian|svm)\b/i)
        expect(out).not.toMatch(/^(?:vm|kvm-host|node1|bigiron7|haltpoll|debian|svm) login:/m)
        for (const t of tokens) {
          if (/^[\d.]+$|^[0-9a-f:]+$|^[0-9a-f-]{36}$/.test(t)) expect(out).not.toContain(t)
        }
      }),
      runs,
    )
  })

  it('keeps everything outside the replaced tokens: lines, technical words and their order', () => {
    fc.assert(
      fc.property(mixedText, (text) => {
        const r = makeRedactor()
        const tokens = r.tokens(text)
        const out = r.redact(text)
        expect(out.split('\n').length).toBe(text.split('\n').length)
        // The text between tokens appears in the output unchanged and in order.
        let at = 0
        let prev = 0
        for (const t of tokens) {
          const between = text.slice(prev, t.start)
          const found = out.indexOf(between, at)
          expect(found).toBe(at)
          at = found + between.length + r.pseudonym(t).length
          prev = t.end
        }
        expect(out.slice(at)).toBe(text.slice(prev))
      }),
      runs,
    )
  })
})
