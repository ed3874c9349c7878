import { readBoolean } from './deploy-settings.js'
import { parseImageReference, type ImageReference } from './image-reference.js'
import { InputError } from './input-error.js'
import type { InputReader } from './settings.js'

export interface CheckSettings {
  /** Also start a short-lived pod that pulls `image`. */
  pull: boolean
  /** `repo:tag` in the registry (or a full reference); without a host it means the registry's. */
  image: ImageReference | undefined
  failOnCheck: boolean
}

export function readCheckSettings(getInput: InputReader, checking: boolean): CheckSettings {
  const raw = getInput('check-image').trim()
  let image: ImageReference | undefined
  if (raw) {
    // A reference without a host names a repository of the registry, not Docker Hub.
    const hasHost = raw.includes('/') && /[.:]|^localhost$/.test(raw.split('/')[0]!)
    const parsed = parseImageReference(hasHost ? raw : `registry.placeholder/${raw}`)
    if (typeof parsed === 'string') throw new InputError('check-image', parsed)
    image = hasHost ? parsed : { ...parsed, registry: '', tag: parsed.tag ?? (parsed.digest ? undefined : 'latest') }
  }
  const settings = { pull: readBoolean(getInput, 'check-pull', false), image, failOnCheck: readBoolean(getInput, 'fail-on-check', false) }
  if (!checking && (settings.pull || image || settings.failOnCheck)) {
    throw new InputError(settings.pull ? 'check-pull' : image ? 'check-image' : 'fail-on-check', "is set but 'mode' does not include check")
  }
  return settings
}
