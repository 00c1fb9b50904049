import { describe, expect, it } from 'vitest'
import type { DoctorReport, MachineCheck } from '../../../../src/shared/contract'
import { runtimeRoute } from '../../../../src/renderer/features/welcome/runtime-route'

// The welcome screen's note: the offline route only where no package index answers.
function reportWithPython(level: MachineCheck['level']): DoctorReport {
  return { checks: [{ id: 'python', label: 'Training runtime', level, detail: 'not found', fix: null }] } as DoctorReport
}

describe('runtimeRoute', () => {
  it('points nowhere when a runtime was found', () => {
    expect(runtimeRoute(reportWithPython('ok'), null)).toEqual({ kind: 'runtime-found' })
    expect(runtimeRoute(reportWithPython('warning'), { status: 'no-answer', detail: 'x' })).toEqual({ kind: 'runtime-found' })
  })

  it('names the set-up where an index answers, the offline route where none does, both where pip could not be asked', () => {
    const missing = reportWithPython('error')
    expect(runtimeRoute(missing, { status: 'answers', detail: 'pip found pip 26.2.1' })).toEqual({ kind: 'set-up', detail: 'pip found pip 26.2.1' })
    expect(runtimeRoute(missing, { status: 'no-answer', detail: 'Connection refused' })).toEqual({ kind: 'offline', detail: 'Connection refused' })
    expect(runtimeRoute(missing, { status: 'unknown', detail: 'no pip' })).toEqual({ kind: 'either', detail: 'no pip' })
    expect(runtimeRoute(missing, { status: 'checking', detail: 'asking' })).toEqual({ kind: 'checking' })
    expect(runtimeRoute(missing, null)).toEqual({ kind: 'checking' })
  })
})
