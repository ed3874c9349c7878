import type { Registry } from '../azure/registries.js'
import type { Settings } from '../settings/settings.js'

/** What check will look at: the image the verdict is about, and the probe pod that pulls it. */
export interface CheckPlan {
  /** A full reference; `repository` is set when the image is in the run's registry (ABAC conditions are judged for it). */
  image: { reference: string; repository: string | undefined } | undefined
  /** check-pull: a short-lived pod in `namespace` pulls `image`. */
  probe: { image: string; namespace: string } | undefined
}

/** Pure: the image is `check-image`, else the first tag this run imports. */
export function planCheck(settings: Settings, registry: Registry): CheckPlan {
  const image = checkedImage(settings, registry)
  const probe = settings.check.pull && image ? { image: image.reference, namespace: settings.deploy.namespace ?? 'default' } : undefined
  return { image, probe }
}

function checkedImage(settings: Settings, registry: Registry): CheckPlan['image'] {
  const wanted = settings.check.image
  if (wanted) {
    const host = wanted.registry || registry.loginServer
    const reference = `${host}/${wanted.repository}${wanted.tag ? `:${wanted.tag}` : ''}${wanted.digest ? `@${wanted.digest}` : ''}`
    return { reference, repository: host === registry.loginServer ? wanted.repository : undefined }
  }
  const target = settings.imports.specs.flatMap((spec) => spec.targets).find((t) => t.tag)
  return target ? { reference: `${registry.loginServer}/${target.repository}:${target.tag}`, repository: target.repository } : undefined
}
