import type { ContractErrorPayload } from '../../shared/contract'

/**
 * An error meant for the person using LocalTune: its message says what went wrong and what to
 * do, and `details` name where (file, row, column, field). Anything else thrown is a bug and
 * is reported as such.
 */
export class UserFacingError extends Error {
  readonly code: ContractErrorPayload['code']
  readonly details: string[]

  constructor(message: string, options: { code?: ContractErrorPayload['code']; details?: string[] } = {}) {
    super(message)
    this.name = 'UserFacingError'
    this.code = options.code ?? 'failed'
    this.details = options.details ?? []
  }
}
