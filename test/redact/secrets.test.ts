import {describe, expect, it} from 'vitest'

import {isSensitiveKey, SECRET_MARKER, scrubSecrets} from '../../src/redact/secrets.js'
import {DOMAIN_XML, L0_CMDLINE, LIBVIRT_LOG, QEMU_ARGV, SECRETS, TECHNICAL} from './corpus.js'

const scrub = (text: string) => scrubSecrets(text, 'test')

describe('scrubSecrets', () => {
  it('removes every planted secret from a NUL-separated QEMU argv and keeps the structure', () => {
    const argv = `${QEMU_ARGV.join('\0')}\0`
    const {text, findings} = scrub(argv)
    for (const s of SECRETS) expect(text).not.toContain(s)
    const out = text.split('\0')
    expect(out).toHaveLength(QEMU_ARGV.length + 1)
    expect(out[QEMU_ARGV.indexOf('-object') + 1]).toBe(`secret,id=sec0,data=${SECRET_MARKER},format=base64`)
    expect(out[QEMU_ARGV.indexOf('-spice') + 1]).toBe(`port=5900,addr=127.0.0.1,password=${SECRET_MARKER},seamless-migration=on`)
    expect(out[QEMU_ARGV.indexOf('-vnc') + 1]).toBe('127.0.0.1:0,password=on')
    expect(out[QEMU_ARGV.indexOf('-fw_cfg') + 1]).toBe(`name=opt/com.coreos/config,string=${SECRET_MARKER}`)
    expect(out[QEMU_ARGV.indexOf('-append') + 1]).toBe(`console=ttyS0 rd.iscsi.password=${SECRET_MARKER} token=${SECRET_MARKER} cpuidle_haltpoll.force=1`)
    expect(text).toContain(`:key=${SECRET_MARKER}:auth_supported=cephx`)
    expect(text).toContain(`iscsi://alice%${SECRET_MARKER}@10.1.2.3/`)
    expect(findings.map((f) => f.what)).toEqual(
      expect.arrayContaining(['QEMU -object secret data=', 'QEMU -spice password=', 'rbd key=', 'QEMU -fw_cfg string=', 'QEMU -iscsi password=', 'password in https:// URI']),
    )
    expect(findings.every((f) => f.where === 'test')).toBe(true)
    for (const f of findings) for (const s of SECRETS) expect(f.what).not.toContain(s)
  })

  it('handles libvirt log lines: JSON -object secret, quoted -spice with a blank in the password, proxy URIs', () => {
    const {text} = scrub(LIBVIRT_LOG)
    for (const s of SECRETS) expect(text).not.toContain(s)
    expect(text).toContain(`"data":"${SECRET_MARKER}","keyid":"masterKey0"`)
    // The master key object has no data and references a file: untouched.
    expect(text).toContain('{"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/domain-1-l1/master-key.aes"}')
    expect(text).toContain(`-spice 'port=5900,addr=127.0.0.1,password=${SECRET_MARKER},seamless-migration=on'`)
    // key-secret names a secret object: an id, not a secret.
    expect(text).toContain('"key-secret":"libvirt-2-storage-auth-secret0"')
    expect(text.split('\n')).toHaveLength(LIBVIRT_LOG.split('\n').length)
  })

  it('handles libvirt XML passwd= and <secret> text, keeping the XML well-formed', () => {
    const {text, findings} = scrub(DOMAIN_XML)
    expect(text).toContain(`passwd='${SECRET_MARKER}'`)
    expect(text).toContain(`private='yes'>${SECRET_MARKER}</secret>`)
    expect(text).toContain("<secret type='ceph' usage='client.admin secret'/>")
    expect(text).not.toMatch(/<[^>]*<redacted/)
    expect(findings.map((f) => f.what)).toContain('passwd=')
  })

  it('handles kernel command lines: password=, token=, credentials in URLs, systemd.set_credential', () => {
    const {text} = scrub(L0_CMDLINE)
    for (const s of SECRETS) expect(text).not.toContain(s)
    for (const keep of ['kvm_intel.nested=1', 'cpuidle_haltpoll.force=1', 'haltpoll.guest_halt_poll_ns=200000', 'ro ', 'ip=10.20.30.40::']) expect(text).toContain(keep)
  })

  it('takes a quoted kernel value whole and stops an unquoted one at the blank', () => {
    expect(scrub('a=1 password="two words" b=2').text).toBe(`a=1 password="${SECRET_MARKER}" b=2`)
    expect(scrub('a=1 passwd=x,y b=2').text).toBe(`a=1 passwd=${SECRET_MARKER} b=2`)
  })

  it('knows id references and booleans are not secrets', () => {
    expect(isSensitiveKey('password-secret')).toBe(false)
    expect(isSensitiveKey('key-secret')).toBe(false)
    expect(isSensitiveKey('passwordid')).toBe(false)
    expect(isSensitiveKey('bypass')).toBe(false)
    expect(isSensitiveKey('PWD')).toBe(false)
    expect(isSensitiveKey('rd.iscsi.password')).toBe(true)
    expect(isSensitiveKey('AWS_SECRET_ACCESS_KEY')).toBe(true)
    const line = '-object tls-creds-x509,id=tls0,passwordid=sec0 -drive driver=rbd,password-secret=sec1 -vnc :0,password=on'
    expect(scrub(line).text).toBe(line)
  })

  it('handles query tokens, environments, JSON keys, and reports one finding per secret', () => {
    expect(scrub('ignition.config.url=https://cfg.example/ign.json?token=QueryTok&x=1 secret=KSecret').text).toBe(
      `ignition.config.url=https://cfg.example/ign.json?token=${SECRET_MARKER}&x=1 secret=${SECRET_MARKER}`,
    )
    expect(scrub('HOME=/root\0AWS_SECRET_ACCESS_KEY=AwsKey\0PWD=/srv\0').text).toBe(`HOME=/root\0AWS_SECRET_ACCESS_KEY=${SECRET_MARKER}\0PWD=/srv\0`)
    expect(scrub('{"driver":"iscsi","user":"u","password":"JsonPw","password-secret":"sec0"}').text).toBe(
      `{"driver":"iscsi","user":"u","password":"${SECRET_MARKER}","password-secret":"sec0"}`,
    )
    const credential = scrub('systemd.set_credential=passwd.plaintext-password.root:CredSet-6')
    expect(credential.text).toBe(`systemd.set_credential=${SECRET_MARKER}`)
    expect(credential.findings).toHaveLength(1)
  })

  it('removes PEM private keys and Authorization headers', () => {
    const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\n-----END OPENSSH PRIVATE KEY-----\n'
    expect(scrub(pem).text).toBe(`-----BEGIN OPENSSH PRIVATE KEY-----${SECRET_MARKER}-----END OPENSSH PRIVATE KEY-----\n`)
    expect(scrub('Authorization: Bearer eyJhbGciOi.x.y').text).toBe(`Authorization: Bearer ${SECRET_MARKER}`)
  })

  it('is idempotent and leaves technical text byte-identical', () => {
    for (const input of [`${QEMU_ARGV.join('\0')}\0`, LIBVIRT_LOG, DOMAIN_XML, L0_CMDLINE]) {
      const once = scrub(input).text
      const twice = scrubSecrets(once, 'test')
      expect(twice.text).toBe(once)
      expect(twice.findings).toEqual([])
    }
    for (const input of [TECHNICAL.cpuinfo, TECHNICAL.cpuidLeaves, TECHNICAL.kallsyms, TECHNICAL.version, TECHNICAL.qemuVersion, TECHNICAL.osRelease, TECHNICAL.modprobe]) {
      expect(scrub(input)).toEqual({text: input, findings: []})
    }
  })
})
