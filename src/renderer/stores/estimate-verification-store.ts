import { create } from 'zustand'
import type { EstimateVerification, VerifyProgress } from '../../shared/contract'

/**
 * "Verify on this machine": the one verification of the Parameters screen, tagged with the
 * estimate's signature it measured (`forSignature`), so a measurement of other choices is never
 * shown as this estimate's. I/O is in features/parameters/estimate-verify-service.ts.
 */

export type VerificationState =
  | { status: 'idle' }
  | { status: 'running'; verificationId: string; forSignature: string; progress: VerifyProgress | null; cancelling: boolean }
  | { status: 'measured'; forSignature: string; verification: EstimateVerification }
  | { status: 'failed'; forSignature: string; message: string; advice: string[]; outputTail: string[] }
  | { status: 'cancelled'; forSignature: string }

interface VerificationStoreState {
  verification: VerificationState
  /**
   * "Apply and verify again": the signature of the estimate being changed; verify as soon as an
   * estimate with another signature (the applied change) is on screen. Null when not asked.
   */
  verifyWhenChanged: string | null
  /**
   * What the latest measurement teaches Auto, for the model, data and kind of device it measured
   * (`forBasis`, see autoBasisKey): kept when the estimate on screen changes, since Auto's new
   * choice is exactly what it is for.
   */
  memoryScale: { forBasis: string; factor: number; reason: string } | null
  actions: {
    reverifyAsked(fromSignature: string | null): void
    verificationStarted(verificationId: string, forSignature: string): void
    verificationProgressed(progress: VerifyProgress): void
    cancelRequested(): void
    /** `scale`: what the measurement teaches Auto (null: nothing comparable was measured). */
    verificationMeasured(verificationId: string, verification: EstimateVerification, scale?: { forBasis: string; factor: number; reason: string } | null): void
    verificationFailed(verificationId: string, message: string, advice: string[], outputTail: string[]): void
    verificationCancelled(verificationId: string): void
  }
}

const useVerificationStore = create<VerificationStoreState>()((set, get) => {
  /** Applies `next` only while verification `id` is the one running (a late answer of an older one is dropped). */
  const whileRunning = (id: string, next: (running: Extract<VerificationState, { status: 'running' }>) => VerificationState) => {
    const current = get().verification
    if (current.status === 'running' && current.verificationId === id) set({ verification: next(current) })
  }
  return {
    verification: { status: 'idle' },
    verifyWhenChanged: null,
    memoryScale: null,
    actions: {
      reverifyAsked: (verifyWhenChanged) => set({ verifyWhenChanged }),
      verificationStarted: (verificationId, forSignature) => set({ verification: { status: 'running', verificationId, forSignature, progress: null, cancelling: false } }),
      verificationProgressed: (progress) => whileRunning(progress.verificationId, (running) => ({ ...running, progress })),
      cancelRequested: () => {
        const current = get().verification
        if (current.status === 'running') set({ verification: { ...current, cancelling: true } })
      },
      verificationMeasured: (id, verification, scale = null) => {
        const current = get().verification
        if (current.status !== 'running' || current.verificationId !== id) return
        set({ verification: { status: 'measured', forSignature: current.forSignature, verification }, ...(scale ? { memoryScale: scale } : {}) })
      },
      verificationFailed: (id, message, advice, outputTail) => whileRunning(id, (running) => ({ status: 'failed', forSignature: running.forSignature, message, advice, outputTail })),
      verificationCancelled: (id) => whileRunning(id, (running) => ({ status: 'cancelled', forSignature: running.forSignature }))
    }
  }
})

export const useEstimateVerification = () => useVerificationStore((state) => state.verification)
export const useVerifyWhenChanged = () => useVerificationStore((state) => state.verifyWhenChanged)
/** What a measurement teaches Auto, when it was taken for these model, data and device kind. */
export const useMemoryScaleFor = (basis: string | null) => useVerificationStore((state) => (basis !== null && state.memoryScale?.forBasis === basis ? state.memoryScale : null))
export const estimateVerificationNow = () => useVerificationStore.getState().verification
export const memoryScaleNow = () => useVerificationStore.getState().memoryScale
export const estimateVerificationActions = () => useVerificationStore.getState().actions

/** The measurement of exactly this estimate, or null (none yet, or one of other choices). */
export function measuredFor(state: VerificationState, signature: string): EstimateVerification | null {
  return state.status === 'measured' && state.forSignature === signature ? state.verification : null
}
