/**
 * The part of Go's text/template that Ollama's TEMPLATE lines written by LocalTune use:
 * `{{ .Field }}`, `{{ if .Field }} … {{ else }} … {{ end }}`, string literals `{{ "…" }}` and the
 * `{{-` / `-}}` trim markers. It renders a Modelfile's template the way Ollama does for one
 * turn, so the export check can compare that text with the training prompt. Anything else in
 * a template is an error, not silently skipped.
 */

export type GoTemplateData = Record<string, string | undefined>

type Node = { kind: 'text'; text: string } | { kind: 'field'; name: string } | { kind: 'if'; name: string; then: Node[]; otherwise: Node[] }

interface Action {
  kind: 'action'
  body: string
  trimLeft: boolean
  trimRight: boolean
}

function lex(template: string): Array<{ kind: 'text'; text: string } | Action> {
  const items: Array<{ kind: 'text'; text: string } | Action> = []
  const pattern = /\{\{(-\s)?([\s\S]*?)(\s-)?\}\}/g
  let at = 0
  for (let match = pattern.exec(template); match; match = pattern.exec(template)) {
    if (match.index > at) items.push({ kind: 'text', text: template.slice(at, match.index) })
    items.push({ kind: 'action', body: (match[2] ?? '').trim(), trimLeft: Boolean(match[1]), trimRight: Boolean(match[3]) })
    at = match.index + match[0].length
  }
  if (at < template.length) items.push({ kind: 'text', text: template.slice(at) })
  // Trim markers remove the white space next to them, as in Go.
  for (let index = 0; index < items.length; index++) {
    const item = items[index]
    if (item?.kind !== 'action') continue
    const before = items[index - 1]
    const after = items[index + 1]
    if (item.trimLeft && before?.kind === 'text') before.text = before.text.replace(/\s+$/, '')
    if (item.trimRight && after?.kind === 'text') after.text = after.text.replace(/^\s+/, '')
  }
  return items
}

function parse(template: string): Node[] {
  const items = lex(template)
  let index = 0
  const block = (terminators: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = []
    while (index < items.length) {
      const item = items[index++]!
      if (item.kind === 'text') {
        nodes.push({ kind: 'text', text: item.text })
        continue
      }
      const body = item.body
      if (terminators.includes(body)) return { nodes, end: body }
      const field = /^\.([A-Za-z]\w*)$/.exec(body)
      if (field) {
        nodes.push({ kind: 'field', name: field[1]! })
        continue
      }
      const literal = /^"((?:[^"\\]|\\.)*)"$/.exec(body)
      if (literal) {
        nodes.push({ kind: 'text', text: JSON.parse(`"${literal[1]}"`) as string })
        continue
      }
      const condition = /^if\s+\.([A-Za-z]\w*)$/.exec(body)
      if (condition) {
        const then = block(['else', 'end'])
        const otherwise = then.end === 'else' ? block(['end']).nodes : []
        nodes.push({ kind: 'if', name: condition[1]!, then: then.nodes, otherwise })
        continue
      }
      throw new Error(`The template has {{ ${body} }}, which this check does not understand.`)
    }
    if (terminators.length > 0) throw new Error(`The template has an {{ if }} without {{ end }}.`)
    return { nodes, end: '' }
  }
  return block([]).nodes
}

function render(nodes: Node[], data: GoTemplateData): string {
  let text = ''
  for (const node of nodes) {
    if (node.kind === 'text') text += node.text
    else if (node.kind === 'field') text += data[node.name] ?? ''
    else text += render(data[node.name] ? node.then : node.otherwise, data)
  }
  return text
}

/** Renders the template; fields that are absent render as empty text, as in Ollama. */
export function renderGoTemplate(template: string, data: GoTemplateData): string {
  return render(parse(template), data)
}

/** Text as Go template text: `{{` can only appear inside a string literal action. */
export function goTemplateText(text: string): string {
  return text.split('{{').join('{{ "{{" }}')
}
