import { parseArgs } from 'node:util'
import { createCore } from '../../core/create-core'
import type { CliCommand } from '../command'

const marks = { ok: 'ok  ', warning: 'warn', error: 'FAIL' } as const

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'Check this machine: GPUs, Python runtime, package index (when no runtime), Electron, home folder, database',
  usage: 'localtune doctor [--json]\n\n  --json   print the full report as JSON',
  async run(args, io, ctx) {
    const { values } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, strict: true })
    const core = createCore({ env: ctx.env, home: ctx.home })
    try {
      const report = await core.handlers['system.doctor']({ refresh: true, waitForPackageIndex: true })
      if (values.json) {
        io.out(JSON.stringify(report, null, 2))
      } else {
        io.out(`LocalTune doctor — home ${report.home.path}`)
        for (const check of report.checks) {
          io.out(`  [${marks[check.level]}] ${check.label}: ${check.detail}`)
          if (check.fix) io.out(`         fix: ${check.fix}`)
        }
      }
      return report.checks.some((check) => check.level === 'error') ? 1 : 0
    } finally {
      core.close()
    }
  }
}
