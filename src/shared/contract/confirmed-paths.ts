import { z } from 'zod'

/**
 * Paths outside the user's folders (src/shared/user-folders.ts) that the user allowed for this
 * one request, each exactly as the request names it. The page adds a path here only after its
 * dialog said where LocalTune will read or write and the user chose Allow; the core refuses any
 * outside path missing from this list (error code outside_user_folders).
 */
export const confirmedPathsSchema = z.array(z.string().min(1)).max(20).optional()
