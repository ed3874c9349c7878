import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const workspaces = new Set<string>()

/** A checkout for GITHUB_WORKSPACE holding the given files (path → contents). */
export function workspaceWith(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'aks-acr-workspace-'))
  workspaces.add(root)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

/** Removes every workspace made so far (the bench calls it; test temp dirs go with the machine). */
export function removeWorkspaces(): void {
  for (const root of workspaces) rmSync(root, { recursive: true, force: true })
  workspaces.clear()
}

export function deployment(
  name: string,
  image: string,
  options: { replicas?: number; deadline?: number; namespace?: string; command?: string[]; minReadySeconds?: number } = {}
): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${options.namespace ? `  namespace: ${options.namespace}\n` : ''}spec:
  replicas: ${options.replicas ?? 2}
${options.deadline ? `  progressDeadlineSeconds: ${options.deadline}\n` : ''}${options.minReadySeconds ? `  minReadySeconds: ${options.minReadySeconds}\n` : ''}  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: main
        image: ${image}
${options.command ? `        command: ${JSON.stringify(options.command)}\n` : ''}        ports:
        - containerPort: 80
`
}
