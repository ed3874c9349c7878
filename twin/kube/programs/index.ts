/**
 * The few images whose process the twin plays (it runs no code): what they print and how they
 * exit, decided from the twin's state when the process ends. Any other image runs as the kubelet
 * reads its command (`behaviourOf`).
 */
import type { KubeCluster } from '../cluster.ts'
import type { KObj } from '../store.ts'
import type { ImageRef } from '../images.ts'
import { canipull } from './canipull.ts'
import type { ProgramRun } from './canipull.ts'

export type { ProgramRun }

export interface Program {
  /** How long the process runs before it prints its verdict and exits. */
  runMs: number
  run: (k: KubeCluster, container: KObj) => ProgramRun
}

const PROGRAMS: Array<{ host: string; repository: string; program: Program }> = [
  // DNS, IMDS and one token exchange: about a second on a node.
  { host: 'mcr.microsoft.com', repository: 'aks/canipull', program: { runMs: 1500, run: canipull } }
]

export const programFor = (ref: ImageRef): Program | undefined =>
  PROGRAMS.find((p) => p.host === ref.host && p.repository === ref.repository)?.program
