import {describe, expect, it} from 'vitest'

import {cpuOptionCause} from '../../src/analyse/findings/nesting.js'
import {analyseSetup, checkLevel} from '../../src/analyse/findings/index.js'
import {amdL0Model, asLevel, edit, ids, intelL0Model, kvmL1Model, l2Model, pvmL1Model, qemuProcess} from '../helpers/combined-fixtures.js'

const only = (findings: ReturnType<typeof analyseSetup>, id: string) => findings.filter((f) => f.id === id)

describe('nesting on L0', () => {
  it('fails when kvm_intel nested=N and cites the modprobe.d line that set it', () => {
    const l0 = edit(intelL0Model(), (m) => {
      m.kvm.modules[1].parameters.nested = 'N'
      m.kvm.nesting.nested = false
      m.kvm.modprobeOptions = [{file: '/etc/modprobe.d/kvm.conf', line: 3, module: 'kvm_intel', options: 'nested=0'}]
    })
    const [f] = only(analyseSetup([l0]), 'NESTED_DISABLED_L0')
    expect(f.severity).toBe('fail')
    expect(f.evidence.map((e) => e.source)).toEqual(['/sys/module/kvm_intel/parameters/nested', '/etc/modprobe.d/kvm.conf:3'])
    expect(f.advice).toContain("options kvm_intel nested=1")
    expect(f.advice).toContain('modprobe -r kvm_intel')
  })

  it('passes for AMD nested=1 and says nothing about an L0 without a KVM module', () => {
    expect(ids(only(analyseSetup([amdL0Model()]), 'NESTED_ENABLED_L0'))).toEqual(['NESTED_ENABLED_L0:pass'])
    const noKvm = edit(intelL0Model(), (m) => {
      m.kvm.modules = []
      m.kvm.vendorModule = null
    })
    expect(analyseSetup([noKvm]).filter((f) => f.id.startsWith('NESTED_'))).toEqual([])
  })

  it('an L0 that is itself a guest (cloud instance) warns', () => {
    const cloud = edit(intelL0Model(), (m) => {
      m.virt.isGuest = true
      m.virt.hypervisor = 'kvm'
      m.virt.hypervisorDetail = 'Google Compute Engine (KVM)'
      m.virt.evidence = [{fact: 'DMI product_name = Google Compute Engine', source: '/sys/class/dmi/id/product_name', indicates: 'kvm'}]
    })
    const [f] = only(analyseSetup([cloud]), 'L0_IS_GUEST')
    expect(f.severity).toBe('warn')
    expect(f.title).toBe('L0 is itself a guest of Google Compute Engine (KVM), not bare metal')
    expect(f.evidence).toEqual([{level: 'L0', source: '/sys/class/dmi/id/product_name', text: 'DMI product_name = Google Compute Engine'}])
    expect(only(analyseSetup([intelL0Model()]), 'L0_IS_GUEST')).toEqual([])
  })

  it('arm64 L0 without kvm-arm.mode=nested fails', () => {
    const arm = edit(intelL0Model(), (m) => {
      m.cpu.arch.value = 'aarch64'
      m.cpu.vendor.value = null
      m.kernel.cmdline.value = 'root=/dev/vda1 ro'
    })
    expect(ids(only(analyseSetup([arm]), 'NESTED_DISABLED_L0'))).toEqual(['NESTED_DISABLED_L0:fail'])
  })
})

describe('vmx/svm exposed to L1', () => {
  const l1NoVmx = () =>
    edit(kvmL1Model('intel'), (m) => {
      m.cpu.virtFlags.vmx = false
      m.cpu.flags = m.cpu.flags.filter((f) => f !== 'vmx')
      m.kvm.loadFailures = [{text: 'kvm_intel: VMX not supported by CPU 0', source: 'command:dmesg line 301'}]
    })

  it('fails and names the L0 QEMU -cpu that hid vmx', () => {
    const l0 = edit(intelL0Model(), (m) => {
      m.qemu.processes[0].cpuModel = 'Skylake-Server-IBRS'
    })
    const [f] = only(analyseSetup([l0, l1NoVmx()]), 'VMX_NOT_EXPOSED')
    expect(f.severity).toBe('fail')
    expect(f.title).toContain('named model Skylake-Server-IBRS without vmx=on')
    expect(f.evidence.some((e) => e.level === 'L1' && e.text.includes('VMX not supported'))).toBe(true)
    expect(f.evidence.some((e) => e.level === 'L0' && e.source === 'QEMU pid 9120 (-name l1) argv')).toBe(true)
    expect(f.advice).toContain('-cpu host')
  })

  it('names nested=N on L0 and libvirt host-model as causes', () => {
    const l0 = edit(intelL0Model(), (m) => {
      m.kvm.nesting.nested = false
      m.libvirt.domains[0].cpuMode = 'host-model'
    })
    const [f] = only(analyseSetup([l0, l1NoVmx()]), 'VMX_NOT_EXPOSED')
    expect(f.title).toContain('nested is disabled on L0')
    expect(f.title).toContain("host-model")
  })

  it('classifies -cpu options', () => {
    expect(cpuOptionCause('host,migratable=on', 'vmx')).toBeNull()
    expect(cpuOptionCause('Haswell-noTSX-IBRS,vmx=on', 'vmx')).toBeNull()
    expect(cpuOptionCause('EPYC,+svm', 'svm')).toBeNull()
    expect(cpuOptionCause('Haswell', 'vmx')).toBe('named model Haswell without vmx=on')
    expect(cpuOptionCause('host,-vmx', 'vmx')).toBe('-cpu host explicitly removes vmx')
    expect(cpuOptionCause('host,-hypervisor', 'vmx')).toContain('hides that L1 is a guest')
    expect(cpuOptionCause(null, 'vmx')).toContain('qemu64 model has no vmx')
    expect(cpuOptionCause(null, 'svm')).toBeNull()
  })

  it('is only info on a PVM L1, whose KVM needs no vmx/svm; passes when L1 has svm', () => {
    expect(ids(only(analyseSetup([pvmL1Model()]), 'VMX_NOT_EXPOSED'))).toEqual(['VMX_NOT_EXPOSED:info'])
    expect(ids(only(analyseSetup([kvmL1Model('amd')]), 'VMX_EXPOSED_L1'))).toEqual(['VMX_EXPOSED_L1:pass'])
  })
})

describe('accelerator of the level below', () => {
  it('L2 on TCG from the L1 QEMU runtime truth and from inside L2', () => {
    const l1 = edit(kvmL1Model(), (m) => {
      m.qemu.processes = [qemuProcess({accel: 'tcg', requestedAccel: null, kvmFds: 0, vcpuThreads: ['CPU 0/TCG'], accelEvidence: [{fact: 'vCPU thread "CPU 0/TCG"', source: '/proc/7001/task/7002/comm', indicates: 'tcg'}]})]
    })
    const [f] = only(analyseSetup([amdL0Model(), l1, l2Model('tcg')]), 'L2_ON_TCG')
    expect(f.severity).toBe('fail')
    expect(f.levels).toEqual(['L1', 'L2'])
    expect(f.evidence.map((e) => `${e.level} ${e.source}`)).toEqual([
      'L1 QEMU pid 7001 (-name l2)',
      'L1 /proc/7001/task/7002/comm',
      'L2 /dev/cpu/0/cpuid',
    ])
    expect(f.advice).toContain('add -accel kvm')
  })

  it('L2 on TCG seen only from inside L2, and L2 on KVM passes', () => {
    expect(ids(only(analyseSetup([l2Model('tcg')]), 'L2_ON_TCG'))).toEqual(['L2_ON_TCG:fail'])
    expect(ids(only(analyseSetup([amdL0Model(), kvmL1Model(), l2Model('kvm')]), 'L2_ON_KVM'))).toEqual(['L2_ON_KVM:pass'])
  })

  it("libvirt <domain type='qemu'> counts as TCG", () => {
    const [f] = only(analyseSetup([pvmL1Model()]), 'L2_ON_TCG')
    expect(f.evidence.some((e) => e.text.includes("type='qemu'"))).toBe(true)
    expect(f.advice).toContain("<domain type='kvm'>")
  })
})

describe('/dev/kvm', () => {
  it('missing on L1 fails with the load failure as evidence; inaccessible warns; L2 is not checked', () => {
    const missing = edit(kvmL1Model(), (m) => {
      m.kvm.devKvm.present = false
      m.kvm.loadFailures = [{text: 'kvm_amd: SVM not supported by CPU 0', source: 'command:dmesg line 90'}]
    })
    const [f] = only(analyseSetup([missing]), 'DEV_KVM_MISSING')
    expect(f.severity).toBe('fail')
    expect(f.evidence[1].text).toContain('SVM not supported')
    const closed = edit(intelL0Model(), (m) => {
      m.kvm.devKvm.accessible = false
    })
    expect(ids(only(analyseSetup([closed]), 'DEV_KVM_INACCESSIBLE'))).toEqual(['DEV_KVM_INACCESSIBLE:warn'])
    expect(analyseSetup([l2Model()]).filter((x) => x.id.startsWith('DEV_KVM'))).toEqual([])
  })

  it('KVM from kvm_pvm without vmx/svm warns, citing the module and nested_pvm', () => {
    const [f] = only(analyseSetup([pvmL1Model()]), 'KVM_NON_VMX_SVM_MODULE')
    expect(f.severity).toBe('warn')
    expect(f.evidence.map((e) => e.text)).toContain('nested_pvm=1')
    expect(f.advice).toContain('CONFIG_PVM_GUEST')
    expect(only(analyseSetup([kvmL1Model()]), 'KVM_NON_VMX_SVM_MODULE')).toEqual([])
  })
})

describe('QEMU-side KVM errors in libvirt logs', () => {
  it('an MSR refused by the KVM below and a failed VM entry are failures with the log line', () => {
    const l1 = edit(pvmL1Model(), (m) => {
      m.libvirt.domains[0].errors = [
        {line: 40, text: '2026-11-25T15:31:08.001Z qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69'},
        {line: 41, text: "qemu-system-x86_64: ../target/i386/kvm/kvm.c:3263: kvm_buf_set_msrs: Assertion `ret == cpu->kvm_msr_buf->nmsrs' failed."},
        {line: 60, text: 'KVM: entry failed, hardware error 0x80000021'},
      ]
    })
    const found = analyseSetup([l1])
    const [msr] = only(found, 'QEMU_MSR_REFUSED')
    expect(msr.severity).toBe('fail')
    expect(msr.title).toBe('QEMU at L1 stopped: the KVM below refused MSR 0x10a')
    expect(msr.evidence[0].source).toBe('/var/log/libvirt/qemu/l2tcg.log line 40')
    expect(msr.advice).toContain('-cpu host,-arch-capabilities')
    expect(only(found, 'KVM_ENTRY_FAILED')[0].evidence.map((e) => e.text)).toEqual(['KVM: entry failed, hardware error 0x80000021'])
    expect(only(analyseSetup([pvmL1Model()]), 'QEMU_MSR_REFUSED')).toEqual([])
  })
})

describe('slow-L2 parameters', () => {
  it('warns for shadow VMCS, EPT and APICv off on Intel L0 and NPT off on AMD', () => {
    const intel = edit(intelL0Model(), (m) => {
      m.kvm.nesting.enable_shadow_vmcs = false
      m.kvm.nesting.ept = false
      m.kvm.nesting.enable_apicv = false
      m.kvm.modules[1].parameters.ept = 'N'
    })
    const found = analyseSetup([intel]).filter((f) => /_(OFF|ON)$/.test(f.id))
    expect(ids(found).sort()).toEqual(['APICV_OFF:warn', 'EPT_OFF:warn', 'SHADOW_VMCS_OFF:warn'])
    expect(found.find((f) => f.id === 'EPT_OFF')!.evidence[0]).toEqual({level: 'L0', source: '/sys/module/kvm_intel/parameters/ept', text: 'ept = N'})
    const amd = edit(amdL0Model(), (m) => {
      m.kvm.nesting.npt = false
    })
    expect(ids(only(analyseSetup([amd]), 'NPT_OFF'))).toEqual(['NPT_OFF:warn'])
    expect(ids(only(analyseSetup([amdL0Model()]), 'NPT_ON'))).toEqual(['NPT_ON:pass'])
  })
})

describe('migration', () => {
  it('Intel L0 older than 5.3 / QEMU 4.2: warn with -incoming, info without', () => {
    const old = edit(intelL0Model(), (m) => {
      m.kernel.release.value = '4.19.0-27-amd64'
      m.qemu.binaries[0].version = 'QEMU emulator version 3.1.0 (Debian 1:3.1+dfsg-8+deb10u8)'
    })
    const [info] = only(analyseSetup([old]), 'NESTED_MIGRATION_UNSUPPORTED')
    expect(info.severity).toBe('info')
    expect(info.evidence.map((e) => e.text)).toEqual(['kernel 4.19.0-27-amd64 (older than 5.3)', expect.stringContaining('3.1.0')])
    const migrating = edit(old, (m) => {
      m.qemu.processes[0].incomingMigration = true
    })
    expect(ids(only(analyseSetup([migrating]), 'NESTED_MIGRATION_UNSUPPORTED'))).toEqual(['NESTED_MIGRATION_UNSUPPORTED:warn'])
    expect(only(analyseSetup([intelL0Model()]), 'NESTED_MIGRATION_UNSUPPORTED')).toEqual([])
  })

  it('AMD L1 with a running KVM L2: info, warn once a migration is seen on L0', () => {
    expect(ids(only(analyseSetup([amdL0Model(), kvmL1Model()]), 'AMD_L1_MIGRATION_WITH_L2'))).toEqual(['AMD_L1_MIGRATION_WITH_L2:info'])
    const l0 = edit(amdL0Model(), (m) => {
      m.libvirt.domains[0].errors = [{line: 80, text: 'migration of domain l1 to dst-host started'}]
    })
    const [f] = only(analyseSetup([l0, kvmL1Model()]), 'AMD_L1_MIGRATION_WITH_L2')
    expect(f.severity).toBe('warn')
    expect(f.evidence.at(-1)).toEqual({level: 'L0', source: '/var/log/libvirt/qemu/l1.log line 80', text: 'migration of domain l1 to dst-host started'})
  })
})

describe('oopses and taint', () => {
  it('a KVM-related WARNING fails; the same stack at L0 and L1 is flagged once', () => {
    const l0 = intelL0Model()
    const l1 = edit(kvmL1Model('intel'), (m) => {
      m.kernelLog.oopses = [{...l0.kernelLog.oopses[0], startLine: 77, source: 'command:dmesg'}]
    })
    const all = analyseSetup([l0, l1])
    expect(ids(only(all, 'KERNEL_OOPS'))).toEqual(['KERNEL_OOPS:fail', 'KERNEL_OOPS:fail'])
    const [same] = only(all, 'SAME_OOPS_MULTI_LEVEL')
    expect(same.levels).toEqual(['L0', 'L1'])
    expect(same.evidence.map((e) => e.source)).toEqual(['command:journal-kernel line 1988', 'command:dmesg line 77'])
  })

  it('no log: info; clean log: pass', () => {
    const noLog = edit(amdL0Model(), (m) => {
      m.kernelLog.source = null
    })
    expect(ids(analyseSetup([noLog]).filter((f) => f.id.includes('KERNEL_LOG') || f.id.includes('OOPS')))).toEqual(['KERNEL_LOG_MISSING:info'])
    expect(ids(only(analyseSetup([amdL0Model()]), 'NO_KERNEL_OOPS'))).toEqual(['NO_KERNEL_OOPS:pass'])
  })

  it('tainted kernels warn with the flags; untainted pass', () => {
    const [f] = only(analyseSetup([pvmL1Model()]), 'KERNEL_TAINTED')
    expect(f.evidence[0].text).toBe('4096: O (OOT_MODULE)')
    expect(f.advice).toContain('out-of-tree')
    expect(ids(only(analyseSetup([amdL0Model()]), 'KERNEL_NOT_TAINTED'))).toEqual(['KERNEL_NOT_TAINTED:pass'])
  })
})

describe('the set of bundles', () => {
  it('missing levels: warn for L0/L1, info for an L2 nobody runs, warn when L1 runs a guest', () => {
    const f = only(analyseSetup([intelL0Model()]), 'LEVEL_MISSING')
    expect(f.map((x) => `${x.levels[0]}:${x.severity}`)).toEqual(['L1:warn', 'L2:info'])
    const g = only(analyseSetup([amdL0Model(), kvmL1Model()]), 'LEVEL_MISSING')
    expect(g.map((x) => `${x.levels[0]}:${x.severity}`)).toEqual(['L2:warn'])
  })

  it('a bundle used as another level than detected, or labelled with another level', () => {
    const relabelled = asLevel(kvmL1Model(), 'L2', 'L1')
    const [f] = only(analyseSetup([amdL0Model(), relabelled]), 'LEVEL_LABEL_MISMATCH')
    expect(f.title).toBe('The bundle used as L2 looks like L1')
    const labelled = edit(amdL0Model(), (m) => {
      m.capture.label = 'rack3-l1'
    })
    expect(only(analyseSetup([labelled]), 'LEVEL_LABEL_MISMATCH')[0].evidence[0].text).toContain('names L1')
  })

  it('vendor mismatch between levels and QEMU version mismatch within a level', () => {
    const intelL1 = kvmL1Model('intel')
    expect(ids(only(analyseSetup([amdL0Model(), intelL1]), 'CPU_VENDOR_MISMATCH'))).toEqual(['CPU_VENDOR_MISMATCH:warn'])
    const two = edit(amdL0Model(), (m) => {
      m.qemu.binaries.push({path: '/usr/local/bin/qemu-system-x86_64', version: 'QEMU emulator version 9.1.0', source: 'command:qemu-system-x86_64-local-version'})
    })
    const [v] = only(analyseSetup([two]), 'VERSION_MISMATCH')
    expect(v.severity).toBe('warn')
    expect(v.evidence).toHaveLength(2)
  })

  it('levels that nothing links: warn when the UUIDs prove another guest, info when unconfirmed', () => {
    const l1 = edit(kvmL1Model(), (m) => {
      m.kernel.hostname.value = 'other-host'
      m.virt.dmi.product_uuid = '11111111-2222-3333-4444-555555555555'
    })
    expect(ids(only(analyseSetup([amdL0Model(), l1]), 'LEVELS_NOT_LINKED'))).toEqual(['LEVELS_NOT_LINKED:info'])
    const l0 = edit(amdL0Model(), (m) => {
      m.qemu.processes[0].argv.push('-uuid', '99999999-2222-3333-4444-555555555555')
    })
    expect(ids(only(analyseSetup([l0, l1]), 'LEVELS_NOT_LINKED'))).toEqual(['LEVELS_NOT_LINKED:warn'])
    expect(only(analyseSetup([amdL0Model(), kvmL1Model()]), 'LEVELS_NOT_LINKED')).toEqual([])
  })

  it('orders findings fail, warn, info, pass', () => {
    const order = analyseSetup([intelL0Model(), pvmL1Model()]).map((f) => f.severity)
    const rank = {fail: 0, warn: 1, info: 2, pass: 3}
    expect(order.map((s) => rank[s])).toEqual([...order.map((s) => rank[s])].sort())
  })
})

describe('checkLevel (one machine)', () => {
  it('reports passes and failures of one level without set findings', () => {
    const found = checkLevel(pvmL1Model())
    expect(found.some((f) => f.id === 'LEVEL_MISSING' || f.id === 'SAME_OOPS_MULTI_LEVEL')).toBe(false)
    expect(ids(found)).toEqual(
      expect.arrayContaining(['L2_ON_TCG:fail', 'KVM_NON_VMX_SVM_MODULE:warn', 'KERNEL_TAINTED:warn', 'DEV_KVM_OK:pass', 'L1_ON_KVM:pass', 'NO_KERNEL_OOPS:pass']),
    )
  })

  it('says when the level is unknown', () => {
    const unknown = asLevel(pvmL1Model(), null)
    expect(ids(checkLevel(unknown))).toContain('LEVEL_UNKNOWN:info')
  })
})
