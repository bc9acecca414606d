/**
 * KVM parameters that make L2 slow when off. running-nested-guests.rst: "if L2 is slow, check that
 * enable_shadow_vmcs, enable_apicv and ept are Y on L0"; on AMD, npt. In L1, a missing EPT/NPT
 * (L0 did not expose it) forces shadow paging for L2.
 */
import type {Finding} from '../../model/combined.js'
import type {LevelName} from '../../model/level.js'
import {at, evidence, finding, paramSource, rawParam, type Setup, vendorModuleOf} from './common.js'

interface ParamCheck {
  id: string
  module: 'kvm_intel' | 'kvm_amd'
  param: string
  what: string
  levels: LevelName[]
}

const CHECKS: ParamCheck[] = [
  {id: 'SHADOW_VMCS_OFF', module: 'kvm_intel', param: 'enable_shadow_vmcs', what: 'shadow VMCS', levels: ['L0']},
  {id: 'EPT_OFF', module: 'kvm_intel', param: 'ept', what: 'EPT', levels: ['L0', 'L1']},
  {id: 'APICV_OFF', module: 'kvm_intel', param: 'enable_apicv', what: 'APICv', levels: ['L0']},
  {id: 'NPT_OFF', module: 'kvm_amd', param: 'npt', what: 'NPT', levels: ['L0', 'L1']},
]

/** One finding per check and level: warn when the parameter is off, pass when on, nothing when not captured. */
export function slowL2Parameters(setup: Setup): Finding[] {
  const out: Finding[] = []
  for (const check of CHECKS) {
    for (const name of check.levels) {
      const model = at(setup, name)
      if (!model || vendorModuleOf(model) !== check.module) continue
      const value = model.kvm.nesting[check.param]
      if (value === undefined || value === null) continue
      const raw = rawParam(model, check.module, check.param) ?? (value ? 'Y' : 'N')
      const source = paramSource(model, check.module, check.param)
      const ev = [evidence(name, source, `${check.param} = ${raw}`)]
      if (value) {
        out.push(finding(check.id.replace(/_OFF$/, '_ON'), 'pass', `${check.what} is on at ${name}`, [name], ev))
        continue
      }
      const why =
        name === 'L1'
          ? `L0 does not expose ${check.what} to L1 (or L1 turned it off), so L2 runs on shadow paging: run L1 with -cpu host on an L0 whose ${check.module} has ${check.param} on.`
          : `On L0: if the CPU supports it, drop ${check.param}=0 from /etc/modprobe.d and the kernel command line, reload ${check.module} with no VMs running, and check ${source}. When the hardware lacks it, expect slow L2 and say so in the report.`
      out.push(finding(check.id, 'warn', `${check.what} is off at ${name}: L2 will be slow`, [name], ev, why))
    }
  }
  return out
}
