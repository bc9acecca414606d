/**
 * A real nested guest for the end-to-end test: this machine (an L1) boots a tiny L2 under QEMU TCG
 * (virtualization-facts.md §7: KVM cannot boot a stock kernel on this PVM host, TCG boots one in
 * about 10 s). The L2 is a Debian kernel plus an initramfs holding a static busybox, the cpuid
 * driver module and the generated capture script; its /init captures the L2 onto the serial
 * console (`capture.sh -b`), then waits for a line on the console before powering off, so the L1
 * can be captured while its QEMU is still running.
 *
 * Packages come from Debian's archive: qemu-system-x86 and busybox-static are installed with
 * apt-get when missing (root only); the kernel package that linux-image-amd64 depends on is
 * fetched with `apt-get download` and only vmlinuz and cpuid.ko are kept, under .cache/l2/.
 */
import {execFile, spawn} from 'node:child_process'
import {closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync} from 'node:fs'
import path from 'node:path'
import {promisify} from 'node:util'
import {gzipSync} from 'node:zlib'

import {SERIAL_END} from '../../src/capture/script.js'

const run = promisify(execFile)

export interface L2Kit {
  qemu: string
  busybox: string
  kernel: string
  /** The x86 cpuid driver, so the capture reads the L2's raw CPUID (TCGTCGTCGTCG). */
  cpuidModule: string
  kernelPackage: string
}

async function which(name: string): Promise<string | null> {
  try {
    const {stdout} = await run('sh', ['-c', `command -v ${name}`])
    return stdout.trim() || null
  } catch {
    return null
  }
}

/** Whether an ELF executable has no program interpreter (so it runs alone in an initramfs). */
export function isStaticElf(file: string): boolean {
  const fd = openSync(file, 'r')
  try {
    const head = Buffer.alloc(64)
    readSync(fd, head, 0, 64, 0)
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false // ELF, 64-bit
    const phoff = Number(head.readBigUInt64LE(32))
    const phentsize = head.readUInt16LE(54)
    const phnum = head.readUInt16LE(56)
    const ph = Buffer.alloc(phentsize * phnum)
    readSync(fd, ph, 0, ph.length, phoff)
    for (let i = 0; i < phnum; i++) if (ph.readUInt32LE(i * phentsize) === 3) return false // PT_INTERP
    return true
  } finally {
    closeSync(fd)
  }
}

async function aptInstall(packages: string[], log: (m: string) => void): Promise<void> {
  log(`apt-get install ${packages.join(' ')}`)
  const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
  const install = () => run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {env, maxBuffer: 64 * 1024 * 1024})
  try {
    await install()
  } catch {
    // A fresh machine has no package lists yet.
    await run('apt-get', ['update', '-qq'], {env, maxBuffer: 64 * 1024 * 1024})
    await install()
  }
}

/**
 * qemu-system-x86_64 and a static busybox, installing them when possible. Resolves to a reason
 * string when QEMU cannot be had here (the only case the test skips).
 */
export async function ensureTools(log: (m: string) => void): Promise<{qemu: string; busybox: string} | string> {
  const canInstall = process.getuid?.() === 0 && (await which('apt-get')) !== null
  let qemu = await which('qemu-system-x86_64')
  let busybox = await which('busybox')
  const staticBusybox = busybox !== null && isStaticElf(busybox)
  const wanted = [...(qemu ? [] : ['qemu-system-x86']), ...(staticBusybox ? [] : ['busybox-static'])]
  if (wanted.length > 0 && canInstall) {
    try {
      await aptInstall(wanted, log)
    } catch (error) {
      if (!qemu) return `qemu-system-x86 could not be installed: ${(error as Error).message.split('\n')[0]}`
      throw error
    }
    qemu = await which('qemu-system-x86_64')
    busybox = await which('busybox')
  }
  if (!qemu) return canInstall ? 'qemu-system-x86_64 is still missing after apt-get install' : 'qemu-system-x86_64 is not installed and cannot be installed here (needs root and apt-get)'
  if (!busybox || !isStaticElf(busybox)) throw new Error('a static busybox is needed for the L2 initramfs: apt-get install busybox-static')
  return {qemu, busybox}
}

/** The Debian kernel image and cpuid.ko, downloaded once into cacheDir. */
export async function ensureKernel(cacheDir: string, log: (m: string) => void): Promise<{kernel: string; cpuidModule: string; kernelPackage: string}> {
  let depends: string
  try {
    depends = (await run('apt-cache', ['depends', 'linux-image-amd64'])).stdout
  } catch {
    await run('apt-get', ['update', '-qq'], {maxBuffer: 64 * 1024 * 1024})
    depends = (await run('apt-cache', ['depends', 'linux-image-amd64'])).stdout
  }
  const pkg = /Depends:\s*(linux-image-[0-9][^\s]*)/.exec(depends)?.[1]
  if (!pkg) throw new Error(`apt-cache depends linux-image-amd64 names no kernel package:\n${depends}`)
  const release = pkg.replace(/^linux-image-/, '')
  const dir = path.join(cacheDir, pkg)
  const kernel = path.join(dir, 'vmlinuz')
  const cpuidModule = path.join(dir, 'cpuid.ko')
  if (existsSync(kernel) && existsSync(cpuidModule)) return {kernel, cpuidModule, kernelPackage: pkg}

  log(`apt-get download ${pkg} into ${cacheDir}`)
  const scratch = `${dir}.partial-${process.pid}`
  rmSync(scratch, {recursive: true, force: true})
  mkdirSync(scratch, {recursive: true, mode: 0o777})
  try {
    // _apt must be able to write into the directory, else apt warns and downloads as root anyway.
    await run('apt-get', ['download', '-qq', pkg], {cwd: scratch, maxBuffer: 64 * 1024 * 1024})
    const deb = (await run('sh', ['-c', 'ls *.deb'], {cwd: scratch})).stdout.trim()
    const members = [`./boot/vmlinuz-${release}`, `./lib/modules/${release}/kernel/arch/x86/kernel/cpuid.ko`]
    await run('sh', ['-c', `dpkg-deb --fsys-tarfile "$1" | tar -x -f - "$2" "$3"`, 'sh', deb, ...members], {cwd: scratch})
    renameSync(path.join(scratch, members[0]), path.join(scratch, 'vmlinuz'))
    renameSync(path.join(scratch, members[1]), path.join(scratch, 'cpuid.ko'))
    for (const extra of [deb, 'boot', 'lib']) rmSync(path.join(scratch, extra), {recursive: true, force: true})
    try {
      renameSync(scratch, dir)
    } catch (error) {
      // Another run (a parallel test process) got there first: use its copy.
      if (!existsSync(kernel) || !existsSync(cpuidModule)) throw error
    }
  } finally {
    rmSync(scratch, {recursive: true, force: true})
  }
  return {kernel, cpuidModule, kernelPackage: pkg}
}

export async function prepareL2(cacheDir: string, log: (m: string) => void): Promise<L2Kit | string> {
  const tools = await ensureTools(log)
  if (typeof tools === 'string') return tools
  return {...tools, ...(await ensureKernel(cacheDir, log))}
}

// ---- initramfs: a newc cpio written directly, so neither cpio(1) nor root is needed for /dev/console.

interface CpioEntry {
  name: string
  mode: number
  data?: Buffer
  rdev?: [number, number]
}

function cpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4)
  const hex = (n: number) => n.toString(16).padStart(8, '0')
  const all = [...entries, {name: 'TRAILER!!!', mode: 0}]
  all.forEach((e, i) => {
    const data = e.data ?? Buffer.alloc(0)
    const name = Buffer.from(`${e.name}\0`)
    const [rmaj, rmin] = e.rdev ?? [0, 0]
    const fields = [i + 1, e.mode, 0, 0, 1, 0, data.length, 0, 0, rmaj, rmin, name.length, 0]
    const header = Buffer.from(`070701${fields.map(hex).join('')}`)
    parts.push(header, name, pad(header.length + name.length), data, pad(data.length))
  })
  return Buffer.concat(parts)
}

const DIR = 0o040755
const FILE = 0o100644
const EXEC = 0o100755

/** PID 1 of the L2: capture onto the console, then wait for the host's go before powering off. */
export function l2Init(captureArgs: string): string {
  return `#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Kernel messages would interleave with the base64 lines on the console.
dmesg -n 1
insmod /cpuid.ko
hostname nestreport-l2
echo 'nestreport-l2: capturing'
sh /capture.sh ${captureArgs}
echo "nestreport-l2: capture exit status $?"
# Keep running until the host has captured the L1 (it sends a line), at most two minutes.
read -t 120 -r nr_go
poweroff -f
`
}

export function buildInitramfs(kit: Pick<L2Kit, 'busybox' | 'cpuidModule'>, captureScript: string, captureArgs: string): Buffer {
  return gzipSync(
    cpio([
      ...['bin', 'dev', 'proc', 'sys', 'tmp'].map((name) => ({name, mode: DIR})),
      {name: 'dev/console', mode: 0o020600, rdev: [5, 1]},
      {name: 'bin/busybox', mode: EXEC, data: readFileSync(kit.busybox)},
      {name: 'bin/sh', mode: 0o120777, data: Buffer.from('busybox')},
      {name: 'init', mode: EXEC, data: Buffer.from(l2Init(captureArgs))},
      {name: 'capture.sh', mode: FILE, data: Buffer.from(captureScript)},
      {name: 'cpuid.ko', mode: FILE, data: readFileSync(kit.cpuidModule)},
    ]),
    {level: 1},
  )
}

export interface L2Run {
  /** The QEMU process, as the L1 capture lists it under /proc. */
  pid: number
  /** Everything the L2 printed on its serial console. */
  serial: string
  exitCode: number | null
  /** Milliseconds from launching QEMU to the end marker of the capture. */
  captureMs: number | null
  wallMs: number
}

/**
 * Boots the L2 under TCG with the initramfs and, once the capture has crossed the console, runs
 * `whileRunning` (the L1 capture) before letting the L2 power off.
 */
export async function bootL2(options: {
  kit: L2Kit
  initrd: string
  whileRunning: () => Promise<void>
  timeoutMs: number
}): Promise<L2Run> {
  const argv = [
    '-name', 'l2-tcg,debug-threads=on',
    '-accel', 'tcg', '-cpu', 'max', '-m', '512', '-smp', '1',
    '-nographic', '-no-reboot',
    // No network: nothing to capture there, and no iPXE option ROM to load (or to be missing).
    '-nic', 'none',
    '-kernel', options.kit.kernel, '-initrd', options.initrd,
    '-append', 'console=ttyS0 panic=-1 quiet',
  ]
  const started = performance.now()
  const qemu = spawn(options.kit.qemu, argv, {stdio: ['pipe', 'pipe', 'pipe']})
  let serial = ''
  let stderr = ''
  let captureMs: number | null = null
  let whileRunning: Promise<void> | null = null
  let failure: unknown = null
  const deadline = setTimeout(() => qemu.kill('SIGKILL'), options.timeoutMs)
  qemu.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')))
  qemu.stdout.on('data', (c: Buffer) => {
    serial += c.toString('utf8')
    if (whileRunning || !serial.includes(SERIAL_END)) return
    captureMs = performance.now() - started
    whileRunning = options
      .whileRunning()
      .catch((error: unknown) => {
        failure = error
      })
      .finally(() => qemu.stdin.write('go\n'))
  })
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    qemu.on('error', reject)
    qemu.on('close', (code) => resolve(code))
  })
  clearTimeout(deadline)
  await whileRunning
  if (failure) throw failure
  if (captureMs === null) {
    throw new Error(`the L2 never finished its capture (QEMU exit ${exitCode}); QEMU stderr:\n${stderr}\nserial console tail:\n${serial.slice(-3000)}`)
  }
  return {pid: qemu.pid!, serial, exitCode, captureMs, wallMs: performance.now() - started}
}
