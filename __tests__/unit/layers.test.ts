import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

/**
 * The architecture, checked: layers import only downwards (README, "Development"), the clients
 * (azure/, kube/, registry/) import neither each other nor what uses them, and no runtime import
 * circle exists anywhere in src/.
 */
const SRC = resolve(import.meta.dirname, '../../src')

type Layer = 'foundation' | 'settings' | 'azure' | 'kube' | 'registry' | 'plan' | 'steps' | 'report' | 'top'

function layerOf(file: string): Layer {
  const path = relative(SRC, file)
  const folder = path.includes('/') ? path.split('/')[0]! : undefined
  if (folder === 'net' || ['errors.ts', 'words.ts', 'mutations.ts'].includes(path)) return 'foundation'
  if (folder && ['settings', 'azure', 'kube', 'registry', 'plan', 'steps', 'report'].includes(folder)) return folder as Layer
  return 'top'
}

const CLIENTS: Layer[] = ['azure', 'kube', 'registry']
const MAY_IMPORT: Record<Layer, Layer[]> = {
  foundation: ['foundation'],
  settings: ['foundation', 'settings'],
  azure: ['foundation', 'settings', 'azure'],
  kube: ['foundation', 'settings', 'kube'],
  registry: ['foundation', 'settings', 'registry'],
  plan: ['foundation', 'settings', ...CLIENTS, 'plan'],
  steps: ['foundation', 'settings', ...CLIENTS, 'plan', 'steps'],
  report: ['foundation', 'settings', ...CLIENTS, 'plan', 'steps', 'report'],
  top: ['foundation', 'settings', ...CLIENTS, 'plan', 'steps', 'report', 'top']
}

interface Import {
  from: string
  to: string
  typeOnly: boolean
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []
  )
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8')
  const found: Import[] = []
  for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm)) {
    const to = resolve(dirname(file), match[2]!.replace(/\.js$/, '.ts'))
    found.push({ from: file, to, typeOnly: Boolean(match[1]) })
  }
  return found
}

const files = sourceFiles(SRC)
const imports = files.flatMap(importsOf)

describe('layers', () => {
  it('finds the imports it judges', () => {
    expect(files.length).toBeGreaterThan(60)
    expect(imports.length).toBeGreaterThan(200)
  })

  it('point one way: settings → plan → steps → report over the clients, the foundation below all', () => {
    const wrong = imports
      .filter((i) => !MAY_IMPORT[layerOf(i.from)].includes(layerOf(i.to)))
      .map((i) => `${relative(SRC, i.from)} (${layerOf(i.from)}) imports ${relative(SRC, i.to)} (${layerOf(i.to)})`)
    expect(wrong).toEqual([])
  })

  it('have no runtime import circle', () => {
    const graph = new Map<string, string[]>()
    for (const i of imports) if (!i.typeOnly) graph.set(i.from, [...(graph.get(i.from) ?? []), i.to])
    const circles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' → '))
        return
      }
      state.set(file, 'open')
      for (const next of graph.get(file) ?? []) visit(next, [...path, file])
      state.set(file, 'done')
    }
    for (const file of files) visit(file, [])
    expect(circles).toEqual([])
  })
})
