import { randomBytes } from 'node:crypto'
import type { ClusterApi } from './cluster-api.js'
import { podProblem, type PodProblem } from './pod-problems.js'
import { watchUntil } from './watch-until.js'
import { ActionError, errorMessage } from '../errors.js'
import { NetworkError } from '../net/network-error.js'

export type ProbeOutcome =
  { pulled: true; node: string | undefined } | { pulled: false; reason: string; message: string } | { pulled: 'unknown'; message: string }

/**
 * `az aks check-acr` without a privileged pod: a short-lived, unprivileged pod that only needs its
 * image pulled. The kubelet's own verdict (a container that started or ran, or a pull error the
 * caller judges final) is the answer; a pull error the caller judges passing (a grant still
 * propagating) is waited out until the deadline. The pod is deleted either way; when it cannot be,
 * `onLeftBehind` gets the command that deletes it. A probe that could not be made is 'unknown'.
 */
export async function probePull(
  cluster: ClusterApi,
  dryRun: boolean,
  namespace: string,
  image: string,
  deadline: number,
  judge: (problem: PodProblem) => Promise<'fail' | 'wait'>,
  onLeftBehind: (why: string) => void
): Promise<ProbeOutcome> {
  const name = `aks-acr-check-${randomBytes(4).toString('hex')}`
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'aks-acr-action', 'aks-acr-action/probe': name } },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: Math.ceil(Math.max(0, deadline - Date.now()) / 1000) + 30,
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'pull',
          image,
          imagePullPolicy: 'Always',
          command: ['true'],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '50m', memory: '32Mi' } },
          securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: ['ALL'] },
            runAsNonRoot: true,
            runAsUser: 65532
          }
        }
      ]
    }
  }
  // Whether the pod may exist: a create that failed without an answer may still have made it.
  let created: boolean | 'unknown' = 'unknown'
  let judged: Promise<'fail' | 'wait'> | undefined
  try {
    const refused = await cluster.createPod(pod)
    created = !refused && !dryRun
    if (refused) return { pulled: 'unknown', message: `could not start a probe pod in ${namespace}: ${refused}` }
    if (dryRun) return { pulled: 'unknown', message: 'dry run: the probe pod was validated by the server, not started' }
    return await watchUntil<ProbeOutcome>(
      deadline,
      () => ({ pulled: 'unknown', message: `no pull verdict before the deadline` }),
      (decide, signal) => [
        cluster
          .follow(
            [{ type: PODS, namespace, names: [name] }],
            (_collection, _type, object) => {
              const problem = podProblem(object)
              if (problem && problem.reason !== 'CrashLoopBackOff') {
                judged ??= judge(problem)
                judged.then(
                  (verdict) => {
                    if (verdict === 'fail') decide({ pulled: false, reason: problem.reason, message: problem.message })
                  },
                  (error: unknown) => decide({ pulled: 'unknown', message: `could not judge the pull error: ${errorMessage(error)}` })
                )
                return
              }
              // Past the pull, any container state means the image is on the node: whether `true` exists
              // in the image (a distroless one has no shell tools) does not matter to the verdict.
              const statuses = (object.status?.containerStatuses ?? []) as Array<{
                imageID?: string
                state?: { running?: unknown; terminated?: unknown; waiting?: { reason?: string } }
              }>
              const pastPull = (s: (typeof statuses)[number]) =>
                s.state?.running ||
                s.state?.terminated ||
                s.imageID ||
                /^(CreateContainerError|CreateContainerConfigError|RunContainerError|StartError|CrashLoopBackOff)$/.test(
                  s.state?.waiting?.reason ?? ''
                )
              if (statuses.some(pastPull)) decide({ pulled: true, node: object.spec?.nodeName })
            },
            (_collection, error) => decide({ pulled: 'unknown', message: `could not follow the probe pod: ${error.message}` }),
            signal
          )
          .catch((error: unknown) => decide({ pulled: 'unknown', message: `could not follow the probe pod: ${errorMessage(error)}` }))
      ]
    )
  } catch (error) {
    if (!(error instanceof ActionError || error instanceof NetworkError)) throw error
    return {
      pulled: 'unknown',
      message: `could not ${created === 'unknown' ? 'start' : 'follow'} a probe pod in ${namespace}: ${error.message}`
    }
  } finally {
    if (created !== false) {
      const failed = await cluster.deletePod(namespace, name)
      if (failed)
        onLeftBehind(
          `the probe pod ${namespace}/${name} may be left behind (${failed}); delete it with kubectl delete pod ${name} -n ${namespace}`
        )
    }
  }
}

const PODS = { base: '/api/v1', plural: 'pods', namespaced: true }
