/** Bytes in binary units as people read them: "512 B", "3.4 KiB", "7.8 GiB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}

/** GPU memory is talked about in GiB whatever its size: "0.23 GiB", "24.0 GiB". */
export function formatGiB(bytes: number, digits = 2): string {
  return `${(bytes / 1024 ** 3).toFixed(digits)} GiB`
}
