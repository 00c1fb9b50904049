import { z } from 'zod'
import { defineChannel } from './define'

export const checkLevelSchema = z.enum(['ok', 'warning', 'error'])

/** One fact about the machine, in words a user understands, with the fix when it is not ok. */
export const machineCheckSchema = z.object({
  id: z.string(),
  label: z.string(),
  level: checkLevelSchema,
  detail: z.string(),
  fix: z.string().nullable()
})
export type MachineCheck = z.infer<typeof machineCheckSchema>

export const probedGpuSchema = z.object({
  index: z.number().int(),
  name: z.string(),
  totalMemoryBytes: z.number().nullable(),
  freeMemoryBytes: z.number().nullable(),
  bf16Supported: z.boolean().nullable(),
  computeCapability: z.string().nullable()
})

export const pythonRuntimeStatusSchema = z.object({
  found: z.boolean(),
  executable: z.string().nullable(),
  /** Where it was found: which rule of the discovery order picked it. */
  source: z.enum(['LOCALTUNE_PYTHON', 'app-venv', 'home-venv', 'PATH']).nullable(),
  pythonVersion: z.string().nullable(),
  torchVersion: z.string().nullable(),
  cudaAvailable: z.boolean(),
  cudaVersion: z.string().nullable(),
  packages: z.record(z.string(), z.string().nullable()),
  gpus: z.array(probedGpuSchema),
  tried: z.array(z.object({ executable: z.string(), source: z.string(), outcome: z.string() })),
  problem: z.string().nullable(),
  fix: z.string().nullable()
})
export type PythonRuntimeStatus = z.infer<typeof pythonRuntimeStatusSchema>

/**
 * Whether pip, as this machine configures it, reaches a package index: asked only when no training
 * runtime is found, because then it decides the route (the set-up, or a runtime carried on a disk).
 * `checking` until pip has answered (at most ~10 s); `unknown` when pip could not be asked at all.
 */
export const packageIndexStatusSchema = z.object({
  status: z.enum(['checking', 'answers', 'no-answer', 'unknown']),
  /** One line: what pip found, or what it said when it found nothing. */
  detail: z.string()
})
export type PackageIndexStatus = z.infer<typeof packageIndexStatusSchema>

export const doctorReportSchema = z.object({
  generatedAt: z.string(),
  node: z.object({ version: z.string(), platform: z.string(), arch: z.string() }),
  electron: z.object({ version: z.string().nullable(), binaryPresent: z.boolean() }),
  home: z.object({ path: z.string(), writable: z.boolean() }),
  database: z.object({ path: z.string(), schemaVersion: z.number(), latestVersion: z.number(), journalMode: z.string() }),
  python: pythonRuntimeStatusSchema,
  /** Null when a runtime with torch was found (no index is asked then). */
  packageIndex: packageIndexStatusSchema.nullable(),
  checks: z.array(machineCheckSchema)
})
export type DoctorReport = z.infer<typeof doctorReportSchema>

export const systemChannels = {
  'system.doctor': defineChannel({
    summary: 'Check this machine: GPUs, Python runtime, home folder, database',
    request: z.object({
      refresh: z.boolean().default(false),
      /** Wait (at most ~10 s) for the package-index check instead of answering `checking` (the CLI waits; the app asks system.package-index). */
      waitForPackageIndex: z.boolean().optional()
    }),
    response: doctorReportSchema
  }),
  'system.package-index': defineChannel({
    summary: "Whether pip's configured package index answers (asked once per session, only when no training runtime is found)",
    request: z.object({}),
    /** Null when a runtime was found: the set-up route is not needed, so no index is asked. */
    response: packageIndexStatusSchema.nullable()
  })
}
