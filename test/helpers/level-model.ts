/**
 * Complete, hand-built LevelModels for render and report tests: a PVM L1 like this project's
 * Firecracker machine (KVM guest providing /dev/kvm through kvm_pvm, no VMX/SVM, running an L2 on
 * TCG), and an Intel L0 bare-metal host (kvm_intel nested=Y, running an L1 on KVM). Each call
 * returns a fresh object parsed by LevelModel, so tests may change it freely.
 */
import {LEVEL_SCHEMA, LEVEL_SCHEMA_VERSION, LevelModel} from '../../src/model/level.js'
import {EMPTY_CPU, EMPTY_KERNEL, EMPTY_KVM} from '../../src/parse/index.js'

const src = <T>(value: T | null, source: string) => ({value, source})

const PVM_FLAGS =
  'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext vmmcall fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves avx512_bf16 clzero xsaveerptr arat avx512vbmi umip avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid fsrm'

const INTEL_FLAGS =
  'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb cat_l3 cdp_l3 invpcid_single intel_ppin ssbd mba ibrs ibpb stibp ibrs_enhanced tpr_shadow flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 hle avx2 smep bmi2 erms invpcid rtm cqm mpx rdt_a avx512f avx512dq rdseed adx smap clflushopt clwb intel_pt avx512cd avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local dtherm ida arat pln pts pku ospke avx512_vnni md_clear flush_l1d arch_capabilities'

const KVM_X86_PARAMS = {
  allow_unsafe_mappings: 'N',
  eager_page_split: 'Y',
  enable_pmu: 'N',
  enable_virt_at_load: 'Y',
  enable_vmware_backdoor: 'N',
  flush_on_reuse: 'N',
  force_emulation_prefix: '0',
  halt_poll_ns: '200000',
  halt_poll_ns_grow: '2',
  halt_poll_ns_grow_start: '10000',
  halt_poll_ns_shrink: '2',
  ignore_msrs: 'N',
  kvmclock_periodic_sync: 'Y',
  lapic_timer_advance: 'Y',
  min_timer_period_us: '200',
  mitigate_smt_rsb: 'N',
  mmio_caching: 'N',
  nx_huge_pages: 'N',
  nx_huge_pages_recovery_period_ms: '0',
  nx_huge_pages_recovery_ratio: '60',
  pi_inject_timer: '0',
  report_ignored_msrs: 'Y',
  tdp_mmu: 'N',
  tsc_tolerance_ppm: '250',
  vector_hashing: 'Y',
}

const VULNERABILITIES = {
  meltdown: 'Not affected',
  spec_rstack_overflow: 'Vulnerable: Safe RET, no microcode',
  spec_store_bypass: 'Vulnerable',
  spectre_v1: 'Mitigation: usercopy/swapgs barriers and __user pointer sanitization',
  spectre_v2: 'Mitigation: Retpolines; STIBP: disabled; RSB filling; PBRSB-eIBRS: Not affected; BHI: Not affected',
}

/** A QEMU L2 started with no accelerator on a PVM L1: TCG, libvirt domain type 'qemu'. */
const L2_TCG_ARGV = [
  '/usr/bin/qemu-system-x86_64',
  '-name',
  'guest=l2tcg,debug-threads=on',
  '-machine',
  'pc-i440fx-7.2,usb=off,dump-guest-core=off',
  '-accel',
  'tcg',
  '-cpu',
  'qemu64,svm=on',
  '-m',
  '512',
  '-smp',
  '1,sockets=1,cores=1,threads=1',
  '-object',
  '{"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/qemu/domain-1-l2tcg/master-key.aes"}',
  '-kernel',
  '/srv/nestlab/vmlinuz-6.1.0-56-amd64',
  '-append',
  'console=ttyS0 panic=-1 quiet',
  '-nographic',
  '-no-reboot',
]

/** This project's machine: Firecracker L1 on AMD EPYC, /dev/kvm from kvm_pvm, in a container. */
export function pvmL1Model(): LevelModel {
  return LevelModel.parse({
    schema: LEVEL_SCHEMA,
    schemaVersion: LEVEL_SCHEMA_VERSION,
    tool: {name: 'nestreport', version: '0.1.0'},
    capture: {
      source: 'live',
      producer: 'nestreport 0.1.0',
      startedAt: '2026-11-25T15:40:02.118Z',
      finishedAt: '2026-11-25T15:40:02.934Z',
      user: {uid: 0, root: true},
      label: 'pvm-l1',
      timeoutSeconds: 10,
    },
    level: {
      detected: 'L1',
      detectedRole: 'guest-hypervisor',
      reasons: [
        'hypervisor flag set in /proc/cpuinfo: this level is a guest',
        '/dev/kvm present: this level can run guests of its own',
        'a QEMU process (pid 4242) runs a guest here',
      ],
      override: null,
      effective: 'L1',
    },
    cpu: {
      modelName: src('AMD EPYC', '/proc/cpuinfo'),
      vendor: src('AuthenticAMD', '/proc/cpuinfo'),
      family: src(25, '/proc/cpuinfo'),
      model: src(1, '/proc/cpuinfo'),
      stepping: src(1, '/proc/cpuinfo'),
      microcode: src('0x1000065', '/proc/cpuinfo'),
      arch: src('x86_64', 'command:uname'),
      logicalCpus: src(2, '/proc/cpuinfo'),
      flags: PVM_FLAGS.split(' '),
      flagsSource: '/proc/cpuinfo',
      virtFlags: {vmx: false, svm: false, hypervisor: true},
      cpuid: {
        source: '/dev/cpu/0/cpuid',
        hypervisorSignature: 'KVMKVMKVM',
        maxHypervisorLeaf: 0x40000001,
        vmx: false,
        svm: false,
        hypervisorBit: true,
      },
      lscpu: {hypervisorVendor: 'KVM', virtualizationType: 'full', virtualization: null},
      vulnerabilities: VULNERABILITIES,
    },
    kernel: {
      release: src('6.18.44-fc-v657', '/proc/sys/kernel/osrelease'),
      version: src(
        'Linux version 6.18.44-fc-v657 (builder@sandboxing) (gcc (GCC) 15.3.0, GNU ld (GNU Binutils) 2.46) #1 SMP PREEMPT_DYNAMIC @0',
        '/proc/version',
      ),
      cmdline: src(
        'mitigations=auto,no_guest_host,no_guest_guest console=ttyS0 quiet reboot=k panic=1 nomodule random.trust_cpu=1 swiotlb=noforce psi=1 deferred_init=lazy nested_pvm=1 cpuidle_haltpoll.force=1 haltpoll.guest_halt_poll_ns=0 rdinit=/process_api',
        '/proc/cmdline',
      ),
      tainted: {
        value: 4096,
        source: '/proc/sys/kernel/tainted',
        flags: [{letter: 'O', name: 'OOT_MODULE', description: 'externally-built ("out-of-tree") module was loaded'}],
      },
      os: {prettyName: 'Debian GNU/Linux 12 (bookworm)', id: 'debian', versionId: '12', source: '/etc/os-release'},
      hostname: src('vm', '/proc/sys/kernel/hostname'),
    },
    kvm: {
      devKvm: {present: true, accessible: true, mode: '0600', owner: '0:0', rdev: '10:232', source: '/dev/kvm'},
      modules: [
        {
          name: 'kvm',
          loadedAs: 'builtin',
          version: null,
          srcversion: null,
          parameters: {
            ...KVM_X86_PARAMS,
            debugctl_per_entry: '-1',
            eager_zap_unsync_children: 'N',
            parent_ptes_recycle_threshold: '1000',
          },
          source: '/sys/module/kvm/parameters',
        },
        {
          name: 'kvm_pvm',
          loadedAs: 'builtin',
          version: null,
          srcversion: null,
          parameters: {
            force: 'N',
            hb_mask: '8388607',
            no_x2apic: 'N',
            pvf_deny: '0',
            pvm_debug: '0',
            pvm_emul_batch: '1024',
            pvm_native: 'Y',
            pvm_wrap_single: 'N',
            refault_assert: 'N',
            stats: 'N',
            verbose: 'N',
          },
          source: '/sys/module/kvm_pvm/parameters',
        },
      ],
      vendorModule: 'kvm_pvm',
      nesting: {nested: null, ept: null, npt: null, tdp_mmu: false, ignore_msrs: false},
      modprobeOptions: [],
      loadFailures: [],
    },
    virt: {
      isGuest: true,
      hypervisor: 'kvm',
      hypervisorDetail: 'Firecracker',
      evidence: [
        {fact: 'hypervisor flag (CPUID.1:ECX[31])', source: '/proc/cpuinfo', indicates: 'guest'},
        {fact: 'CPUID 0x40000000 = KVMKVMKVM', source: '/dev/cpu/0/cpuid', indicates: 'kvm'},
        {fact: '"Hypervisor detected: KVM"', source: 'command:dmesg line 12', indicates: 'kvm'},
        {fact: 'kvm-clock available', source: '/sys/devices/system/clocksource/clocksource0/available_clocksource', indicates: 'kvm'},
        {fact: 'systemd-detect-virt --vm = kvm', source: 'command:systemd-detect-virt-vm', indicates: 'kvm'},
      ],
      container: {
        kind: 'docker',
        evidence: [
          {fact: '/.dockerenv exists', source: '/.dockerenv', indicates: 'container'},
          {fact: 'systemd-detect-virt --container = docker', source: 'command:systemd-detect-virt-container', indicates: 'container'},
        ],
      },
      dmi: {},
      clocksource: {current: 'tsc', available: ['tsc', 'kvm-clock']},
      systemdDetectVirt: {vm: 'kvm', container: 'docker'},
      virtWhat: ['kvm', 'docker'],
    },
    qemu: {
      binaries: [{path: '/usr/bin/qemu-system-x86_64', version: 'QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)', source: 'command:qemu-system-x86_64-version'}],
      processes: [
        {
          pid: 4242,
          exe: '/usr/bin/qemu-system-x86_64',
          argv: L2_TCG_ARGV,
          name: 'l2tcg',
          requestedAccel: 'tcg',
          accel: 'tcg',
          accelEvidence: [
            {fact: 'no /dev/kvm or anon_inode:kvm-* fd held', source: '/proc/4242/fd', indicates: 'tcg'},
            {fact: 'vCPU thread "CPU 0/TCG"', source: '/proc/4242/task/4250/comm', indicates: 'tcg'},
          ],
          kvmFds: 0,
          vcpuThreads: ['CPU 0/TCG'],
          cpuModel: 'qemu64,svm=on',
          machine: 'pc-i440fx-7.2,usb=off,dump-guest-core=off',
          incomingMigration: false,
        },
      ],
    },
    libvirt: {
      libvirtdVersion: src('libvirtd (libvirt) 9.0.0', 'command:libvirtd-version'),
      virshVersion: src('9.0.0', 'command:virsh-version'),
      domains: [
        {
          name: 'l2tcg',
          type: 'qemu',
          cpuMode: 'custom',
          cpuModel: 'qemu64',
          cpuFeatures: [{policy: 'require', name: 'svm'}],
          running: true,
          xmlSource: '/run/libvirt/qemu/l2tcg.xml',
          logFile: '/var/log/libvirt/qemu/l2tcg.log',
          lastCommandLine: L2_TCG_ARGV,
          lastStart: '2026-11-25 15:31:07.512+0000',
          errors: [],
        },
      ],
    },
    kernelLog: {
      source: 'command:dmesg',
      extraSources: ['/var/log/libvirt/qemu/l2tcg.log'],
      lines: 412,
      panicked: false,
      oopses: [],
      kvmMessages: [
        {line: 12, pattern: 'hypervisor-detected', severity: 'info', text: '[    0.000000] Hypervisor detected: KVM', source: 'command:dmesg'},
        {line: 188, pattern: 'kvm-pvm-loaded', severity: 'info', text: '[    0.412201] kvm-pvm: loaded (native=1 pcid=1 hb_mask=0x7fffff)', source: 'command:dmesg'},
        {line: 189, pattern: 'kvm-pvm-mmio', severity: 'info', text: '[    0.412230] kvm-pvm: mmio caching disabled (nested host: no EPT/NPT)', source: 'command:dmesg'},
      ],
    },
    notCollected: [
      {what: '/proc/modules', group: 'kvm', why: 'not present: the kernel has no loadable module support (CONFIG_MODULES=n)'},
      {what: '/sys/class/dmi/id/*', group: 'virt', why: 'not present: this VM has no DMI/SMBIOS tables (Firecracker)'},
      {what: 'command:x86info', group: 'cpu', why: 'not installed'},
      {what: '/proc/1/environ', group: 'virt', why: 'permission denied, even as root (PID 1 is process_api)'},
    ],
    redaction: {
      secretsRemoved: [{where: 'qemu pid 4242 argv', what: 'master key file path kept; no inline secret data present'}],
      identityRedacted: false,
    },
  })
}

const KVM_INTEL_PARAMS = {
  allow_smaller_maxphyaddr: 'N',
  dump_invalid_vmcs: 'N',
  emulate_invalid_guest_state: 'Y',
  enable_apicv: 'Y',
  enable_ipiv: 'Y',
  enable_shadow_vmcs: 'Y',
  enlightened_vmcs: 'N',
  ept: 'Y',
  eptad: 'Y',
  error_on_inconsistent_vmcs_config: 'Y',
  fasteoi: 'Y',
  flexpriority: 'Y',
  nested: 'Y',
  nested_early_check: 'N',
  ple_gap: '128',
  ple_window: '4096',
  ple_window_grow: '2',
  ple_window_max: '4294967295',
  ple_window_shrink: '0',
  pml: 'Y',
  preemption_timer: 'Y',
  sgx: 'N',
  unrestricted_guest: 'Y',
  vmentry_l1d_flush: 'not required',
  vnmi: 'Y',
  vpid: 'Y',
}

const L1_KVM_ARGV = [
  '/usr/bin/qemu-system-x86_64',
  '-name',
  'guest=l1,debug-threads=on',
  '-machine',
  'pc-q35-8.2,usb=off,dump-guest-core=off',
  '-accel',
  'kvm',
  '-cpu',
  'host,migratable=on',
  '-m',
  '8192',
  '-smp',
  '4,sockets=4,cores=1,threads=1',
  '-drive',
  'file=/var/lib/libvirt/images/l1.qcow2,format=qcow2,if=virtio',
  '-netdev',
  'user,id=net0,hostfwd=tcp::2222-:22',
  '-device',
  'virtio-net-pci,netdev=net0',
  '-nographic',
]

const NESTED_WARNING = [
  '[ 8123.004512] ------------[ cut here ]------------',
  '[ 8123.004515] WARNING: CPU: 3 PID: 9120 at arch/x86/kvm/vmx/nested.c:4795 nested_vmx_vmexit+0x6a3/0x730 [kvm_intel]',
  '[ 8123.004601] Modules linked in: vhost_net vhost tap kvm_intel kvm irqbypass',
  '[ 8123.004640] CPU: 3 PID: 9120 Comm: CPU 1/KVM Not tainted 6.8.0-49-generic #49-Ubuntu',
  '[ 8123.004652] RIP: 0010:nested_vmx_vmexit+0x6a3/0x730 [kvm_intel]',
  '[ 8123.004700] Call Trace:',
  '[ 8123.004702]  <TASK>',
  '[ 8123.004705]  vmx_handle_exit+0x4f1/0x7a0 [kvm_intel]',
  '[ 8123.004730]  vcpu_enter_guest+0x8d2/0x1570 [kvm]',
  '[ 8123.004755]  kvm_arch_vcpu_ioctl_run+0x1a6/0x6c0 [kvm]',
  '[ 8123.004790]  </TASK>',
  '[ 8123.004792] ---[ end trace 0000000000000000 ]---',
].join('\n')

/** An Intel bare-metal host with kvm_intel nested=Y running an L1 with -cpu host on KVM. */
export function intelL0Model(): LevelModel {
  const model = pvmL1Model()
  return LevelModel.parse({
    ...model,
    capture: {...model.capture, label: 'intel-l0', user: {uid: 1000, root: false}},
    level: {
      detected: 'L0',
      detectedRole: 'bare-metal-host',
      reasons: ['no hypervisor flag and no hypervisor signature: bare metal', 'vmx flag and kvm_intel loaded: this level runs KVM guests'],
      override: null,
      effective: 'L0',
    },
    cpu: {
      ...model.cpu,
      modelName: src('Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz', '/proc/cpuinfo'),
      vendor: src('GenuineIntel', '/proc/cpuinfo'),
      family: src(6, '/proc/cpuinfo'),
      model: src(85, '/proc/cpuinfo'),
      stepping: src(7, '/proc/cpuinfo'),
      microcode: src('0x5003707', '/proc/cpuinfo'),
      logicalCpus: src(80, '/proc/cpuinfo'),
      flags: INTEL_FLAGS.split(' '),
      virtFlags: {vmx: true, svm: false, hypervisor: false},
      cpuid: null,
      lscpu: {hypervisorVendor: null, virtualizationType: null, virtualization: 'VT-x'},
    },
    kernel: {
      ...model.kernel,
      release: src('6.8.0-49-generic', '/proc/sys/kernel/osrelease'),
      version: src('Linux version 6.8.0-49-generic (buildd@lcy02-amd64-103) (x86_64-linux-gnu-gcc-13 (Ubuntu 13.2.0-23ubuntu4) 13.2.0) #49-Ubuntu SMP PREEMPT_DYNAMIC', '/proc/version'),
      cmdline: src('BOOT_IMAGE=/vmlinuz-6.8.0-49-generic root=UUID=1b2c3d4e ro quiet splash intel_iommu=on kvm_intel.nested=1', '/proc/cmdline'),
      tainted: {value: 512, source: '/proc/sys/kernel/tainted', flags: [{letter: 'W', name: 'WARN', description: 'kernel issued warning'}]},
      os: {prettyName: 'Ubuntu 24.04.1 LTS', id: 'ubuntu', versionId: '24.04', source: '/etc/os-release'},
      hostname: src('kvm-host-07', '/proc/sys/kernel/hostname'),
    },
    kvm: {
      devKvm: {present: true, accessible: true, mode: '0660', owner: '0:108', rdev: '10:232', source: '/dev/kvm'},
      modules: [
        {name: 'kvm', loadedAs: 'module', version: null, srcversion: 'A1B2C3D4E5F60718293A4B5', parameters: KVM_X86_PARAMS, source: '/sys/module/kvm/parameters'},
        {name: 'kvm_intel', loadedAs: 'module', version: null, srcversion: '0F1E2D3C4B5A69788796A5B', parameters: KVM_INTEL_PARAMS, source: '/sys/module/kvm_intel/parameters'},
      ],
      vendorModule: 'kvm_intel',
      nesting: {nested: true, ept: true, enable_shadow_vmcs: true, enable_apicv: true, unrestricted_guest: true, tdp_mmu: false, ignore_msrs: false},
      modprobeOptions: [{file: '/etc/modprobe.d/kvm.conf', line: 2, module: 'kvm_intel', options: 'nested=1'}],
      loadFailures: [],
    },
    virt: {
      isGuest: false,
      hypervisor: 'none',
      hypervisorDetail: null,
      evidence: [
        {fact: 'no hypervisor flag (CPUID.1:ECX[31] clear)', source: '/proc/cpuinfo', indicates: 'bare-metal'},
        {fact: 'DMI sys_vendor = Dell Inc.', source: '/sys/class/dmi/id/sys_vendor', indicates: 'bare-metal'},
        {fact: 'systemd-detect-virt --vm = none', source: 'command:systemd-detect-virt-vm', indicates: 'bare-metal'},
      ],
      container: {kind: null, evidence: []},
      dmi: {sys_vendor: 'Dell Inc.', product_name: 'PowerEdge R640', bios_vendor: 'Dell Inc.', bios_version: '2.19.1'},
      clocksource: {current: 'tsc', available: ['tsc', 'hpet', 'acpi_pm']},
      systemdDetectVirt: {vm: 'none', container: 'none'},
      virtWhat: null,
    },
    qemu: {
      binaries: [{path: '/usr/bin/qemu-system-x86_64', version: 'QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1.4)', source: 'command:qemu-system-x86_64-version'}],
      processes: [
        {
          pid: 9120,
          exe: '/usr/bin/qemu-system-x86_64',
          argv: L1_KVM_ARGV,
          name: 'l1',
          requestedAccel: 'kvm',
          accel: 'kvm',
          accelEvidence: [
            {fact: 'holds /dev/kvm, anon_inode:kvm-vm and 4 anon_inode:kvm-vcpu fds', source: '/proc/9120/fd', indicates: 'kvm'},
            {fact: 'vCPU threads "CPU 0/KVM" .. "CPU 3/KVM"', source: '/proc/9120/task/*/comm', indicates: 'kvm'},
          ],
          kvmFds: 6,
          vcpuThreads: ['CPU 0/KVM', 'CPU 1/KVM', 'CPU 2/KVM', 'CPU 3/KVM'],
          cpuModel: 'host,migratable=on',
          machine: 'pc-q35-8.2,usb=off,dump-guest-core=off',
          incomingMigration: false,
        },
      ],
    },
    libvirt: {
      libvirtdVersion: src('libvirtd (libvirt) 10.0.0', 'command:libvirtd-version'),
      virshVersion: src('10.0.0', 'command:virsh-version'),
      domains: [
        {
          name: 'l1',
          type: 'kvm',
          cpuMode: 'host-passthrough',
          cpuModel: null,
          cpuFeatures: [],
          running: true,
          xmlSource: '/run/libvirt/qemu/l1.xml',
          logFile: '/var/log/libvirt/qemu/l1.log',
          lastCommandLine: L1_KVM_ARGV,
          lastStart: '2026-11-25 13:02:44.101+0000',
          errors: [{line: 58, text: '2026-11-25T13:02:45.003Z qemu-system-x86_64: warning: host doesn\'t support requested feature: CPUID.07H:EBX.hle [bit 4]'}],
        },
      ],
    },
    kernelLog: {
      source: 'command:journal-kernel',
      extraSources: [],
      lines: 2311,
      panicked: false,
      oopses: [
        {
          title: 'WARNING in nested_vmx_vmexit',
          kind: 'warning',
          startLine: 1988,
          endLine: 1999,
          stackHash: '3f9a1c2e7b4d5a60',
          kvmRelated: true,
          panicked: false,
          text: NESTED_WARNING,
          source: 'command:journal-kernel',
        },
      ],
      kvmMessages: [
        {line: 1990, pattern: 'nested-vmx-warning', severity: 'warning', text: '[ 8123.004515] WARNING: CPU: 3 PID: 9120 at arch/x86/kvm/vmx/nested.c:4795 nested_vmx_vmexit+0x6a3/0x730 [kvm_intel]', source: 'command:journal-kernel'},
      ],
    },
    notCollected: [
      {what: 'command:dmidecode', group: 'virt', why: 'needs root (captured as uid 1000)'},
      {what: 'command:virt-what', group: 'virt', why: 'needs root (captured as uid 1000)'},
      {what: '/dev/cpu/0/cpuid', group: 'cpu', why: 'permission denied (needs root)'},
    ],
    redaction: null,
  })
}

/**
 * A level where almost nothing could be read (a non-root capture of a stripped-down guest): every
 * optional fact null or empty, no level detected. Renderers must cope with it.
 */
export function sparseModel(): LevelModel {
  return LevelModel.parse({
    schema: LEVEL_SCHEMA,
    schemaVersion: LEVEL_SCHEMA_VERSION,
    tool: {name: 'nestreport', version: '0.1.0'},
    capture: {
      source: 'script',
      producer: 'nestreport-capture.sh 0.1.0',
      startedAt: '2026-11-25T16:00:00Z',
      finishedAt: '2026-11-25T16:00:01Z',
      user: {uid: 1000, root: false},
      label: null,
      timeoutSeconds: 10,
    },
    level: {detected: null, detectedRole: 'unknown', reasons: [], override: null, effective: null},
    cpu: EMPTY_CPU,
    kernel: EMPTY_KERNEL,
    kvm: EMPTY_KVM,
    virt: {
      isGuest: null,
      hypervisor: 'unknown',
      hypervisorDetail: null,
      evidence: [],
      container: {kind: null, evidence: []},
      dmi: {},
      clocksource: {current: null, available: []},
      systemdDetectVirt: {vm: null, container: null},
      virtWhat: null,
    },
    qemu: {binaries: [], processes: []},
    libvirt: {libvirtdVersion: {value: null, source: ''}, virshVersion: {value: null, source: ''}, domains: []},
    kernelLog: {source: null, extraSources: [], lines: 0, panicked: false, oopses: [], kvmMessages: []},
    notCollected: [{what: '/proc/cpuinfo', group: 'cpu', why: 'permission denied'}],
    redaction: null,
  })
}
