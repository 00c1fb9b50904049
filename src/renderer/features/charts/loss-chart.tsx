import { useEffect, useRef, useState } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import './charts.css'
import { alignSeries } from './align-series'
import { downsampleMinMax } from './downsample'
import type { SeriesBuffer } from './series-buffer'

/** One line of a chart: a buffer of points, drawn raw or smoothed. */
export interface CurveSpec {
  key: string
  label: string
  buffer: SeriesBuffer
  /** A CSS custom property holding the colour, e.g. "--chart-train" (read again on theme change). */
  colorVar: string
  smoothed?: boolean
  /** Eval losses are few: draw their points. */
  points?: boolean
  dash?: number[]
  width?: number
}

interface LossChartProps {
  curves: readonly CurveSpec[]
  /** EMA weight for curves with `smoothed` (0: none). */
  smoothing: number
  /** What the chart shows, for screen readers. */
  label: string
  height?: number
  emptyText?: string
}

type Range = [number, number]

const themeQuery = '(prefers-color-scheme: dark)'

function cssColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

// Steps are whole numbers: ticks at 1, 2, 5 × 10^k only, never at step 2.5.
const stepIncrements = Array.from({ length: 8 }, (_, power) => [1, 2, 5].map((base) => base * 10 ** power)).flat()

/** The newest value of a column (the legend shows it while the cursor is away from the plot). */
function lastValue(column: ArrayLike<number | null | undefined> | undefined): number | null {
  if (!column) return null
  for (let index = column.length - 1; index >= 0; index--) {
    const value = column[index]
    if (value != null) return value
  }
  return null
}

// Under the cursor: the values there; otherwise the newest ones, so the legend reads live.
const formatValue = (u: uPlot, raw: number | null, seriesIdx: number, idx: number | null) => {
  const value = idx == null ? lastValue(u.data[seriesIdx]) : raw
  return value == null ? '—' : value.toFixed(4)
}
const formatStep = (u: uPlot, raw: number | null, _seriesIdx: number, idx: number | null) => {
  const value = idx == null ? lastValue(u.data[0]) : raw
  return value == null ? '—' : String(Math.round(value))
}

/**
 * A live loss chart on uPlot that stays smooth with 100,000 points: data lives in typed-array
 * buffers, a change only schedules one redraw per animation frame, and each redraw draws the
 * min/max per pixel column of the visible range (re-sampled when zoomed, so zooming shows
 * detail). Drag to zoom, double-click or "Reset zoom" to go back; with the chart focused,
 * + / − zoom, ← / → pan and 0 resets. The legend shows the values under the cursor.
 *
 * The container carries data-points (points of the first curve) and data-last-step, set when
 * they are on the canvas, and data-draw-ms, how long the last redraw took.
 */
export function LossChart({ curves, smoothing, label, height = 280, emptyText = 'Waiting for the first step…' }: LossChartProps) {
  const container = useRef<HTMLDivElement>(null)
  const smoothingRef = useRef(smoothing)
  const redraw = useRef<() => void>(() => {})
  const zoomRef = useRef<Range | null>(null)
  const [zoomed, setZoomed] = useState(false)
  const [empty, setEmpty] = useState(true)
  const [theme, setTheme] = useState(() => window.matchMedia(themeQuery).matches)

  useEffect(() => {
    const query = window.matchMedia(themeQuery)
    const changed = () => setTheme(query.matches)
    query.addEventListener('change', changed)
    return () => query.removeEventListener('change', changed)
  }, [])

  useEffect(() => {
    smoothingRef.current = smoothing
    redraw.current()
  }, [smoothing])

  useEffect(() => {
    const element = container.current
    if (!element) return
    let frame = 0
    let frameStart = 0
    let chart: uPlot | null = null

    const fullRange = (): Range | null => {
      let low = Number.POSITIVE_INFINITY
      let high = Number.NEGATIVE_INFINITY
      for (const curve of curves) {
        if (curve.buffer.length === 0) continue
        low = Math.min(low, curve.buffer.x[0] ?? low)
        high = Math.max(high, curve.buffer.lastX() ?? high)
      }
      return Number.isFinite(low) ? [low, high === low ? low + 1 : high] : null
    }

    const setZoom = (range: Range | null) => {
      zoomRef.current = range
      setZoomed(range !== null)
      schedule()
    }

    const draw = () => {
      frame = 0
      if (!chart) return
      frameStart = performance.now()
      const range = zoomRef.current ?? fullRange()
      const columns = Math.max(50, Math.round(chart.bbox.width / devicePixelRatio) || element.clientWidth)
      const visible = curves.map((curve) => {
        const values = curve.smoothed ? curve.buffer.smoothed(smoothingRef.current) : curve.buffer.y
        return range ? downsampleMinMax(curve.buffer.x, values, curve.buffer.length, range[0], range[1], columns) : { x: [], y: [] }
      })
      setEmpty(range === null)
      const data = alignSeries(visible) as uPlot.AlignedData
      const zoom = zoomRef.current
      chart.batch(() => {
        chart?.setData(data, zoom === null)
        if (zoom) chart?.setScale('x', { min: zoom[0], max: zoom[1] })
      })
    }

    function schedule() {
      if (!frame) frame = requestAnimationFrame(draw)
    }
    redraw.current = schedule

    const axisColor = cssColor('--muted')
    const gridColor = cssColor('--border')
    const axis = (labelText: string): uPlot.Axis => ({
      label: labelText,
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor, width: 1 }
    })
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height,
      scales: { x: { time: false } },
      axes: [{ ...axis('step'), incrs: stepIncrements }, axis('loss')],
      legend: { live: true },
      cursor: {
        drag: { x: true, y: false, setScale: false },
        bind: {
          dblclick: () => () => {
            setZoom(null)
            return null
          }
        }
      },
      series: [
        { label: 'step', value: formatStep },
        ...curves.map(
          (curve): uPlot.Series => ({
            label: curve.label,
            stroke: cssColor(curve.colorVar),
            width: curve.width ?? 1.5,
            dash: curve.dash,
            spanGaps: true,
            points: { show: curve.points ?? false, size: 5 },
            value: formatValue
          })
        )
      ],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width < 3) return
            const min = u.posToVal(u.select.left, 'x')
            const max = u.posToVal(u.select.left + u.select.width, 'x')
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false)
            if (max > min) setZoom([min, max])
          }
        ],
        draw: [
          () => {
            const primary = curves[0]?.buffer
            element.dataset.points = String(primary?.length ?? 0)
            element.dataset.lastStep = String(primary?.lastX() ?? '')
            element.dataset.drawMs = (performance.now() - frameStart).toFixed(2)
          }
        ]
      }
    }
    chart = new uPlot(options, [[], ...curves.map(() => [])], element.querySelector<HTMLElement>('.loss-chart-plot') ?? element)

    const unsubscribers = curves.map((curve) => curve.buffer.subscribe(schedule))
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, element.clientWidth)
      if (chart && Math.abs(chart.width - width) > 1) {
        chart.setSize({ width, height })
        schedule()
      }
    })
    resize.observe(element)

    const onKey = (event: KeyboardEvent) => {
      const range = zoomRef.current ?? fullRange()
      if (!range) return
      const span = range[1] - range[0]
      const centre = (range[0] + range[1]) / 2
      if (event.key === '+' || event.key === '=') setZoom([centre - span / 4, centre + span / 4])
      else if (event.key === '-' || event.key === '_') {
        const full = fullRange()
        const next: Range = [centre - span, centre + span]
        setZoom(full && next[0] <= full[0] && next[1] >= full[1] ? null : next)
      } else if (event.key === 'ArrowLeft' && zoomRef.current) setZoom([range[0] - span / 4, range[1] - span / 4])
      else if (event.key === 'ArrowRight' && zoomRef.current) setZoom([range[0] + span / 4, range[1] + span / 4])
      else if (event.key === '0' || event.key === 'Escape') setZoom(null)
      else return
      event.preventDefault()
    }
    element.addEventListener('keydown', onKey)
    schedule()

    return () => {
      element.removeEventListener('keydown', onKey)
      resize.disconnect()
      for (const unsubscribe of unsubscribers) unsubscribe()
      if (frame) cancelAnimationFrame(frame)
      redraw.current = () => {}
      chart?.destroy()
      chart = null
    }
  }, [curves, height, theme])

  return (
    <div className="loss-chart-frame">
      <div
        ref={container}
        className="loss-chart"
        data-testid="loss-chart"
        data-points="0"
        tabIndex={0}
        role="group"
        aria-label={`${label}. Drag to zoom; with the chart focused, + and − zoom, arrow keys pan, 0 resets.`}
      >
        <div className="loss-chart-plot" />
        {empty && <p className="loss-chart-empty muted">{emptyText}</p>}
      </div>
      <div className="loss-chart-tools">
        <button
          type="button"
          className="secondary small-button"
          disabled={!zoomed}
          onClick={() => {
            zoomRef.current = null
            setZoomed(false)
            redraw.current()
          }}
        >
          Reset zoom
        </button>
      </div>
    </div>
  )
}
