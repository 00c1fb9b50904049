import crypto from 'node:crypto'
import type { ContractHandlers } from '../../../shared/contract'
import type { ExportService } from './export-service'

type ExportsHandlers = Pick<ContractHandlers, 'exports.plan' | 'exports.start' | 'exports.list' | 'exports.generate' | 'exports.autotrain-config'>

export function exportsHandlers(service: ExportService): ExportsHandlers {
  return {
    'exports.plan': ({ runId, options }) => service.plan(runId, options),
    'exports.start': ({ runId, options }) => service.start(runId, options),
    'exports.list': async ({ runId }) => service.list(runId),
    'exports.generate': ({ runId, exportId, input, maxNewTokens, temperature, requestId }) =>
      service.generate(runId, exportId, input, { maxNewTokens, temperature, requestId: requestId ?? crypto.randomUUID() }),
    'exports.autotrain-config': async ({ runId }) => service.autoTrainConfig(runId)
  }
}
