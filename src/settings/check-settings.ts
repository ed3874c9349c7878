import { namesRegistryHost, parseImageReference, type ImageReference } from './image-reference.js'
import { InputError } from '../errors.js'
import { readBoolean, type InputReader } from './inputs.js'

export interface CheckSettings {
  /** Also start a short-lived pod that pulls `image`. */
  pull: boolean
  /** `repo:tag` in the registry (or a full reference); without a host it means the registry's. */
  image: ImageReference | undefined
  failOnCheck: boolean
}

/** `hasImportTarget`: the run imports a tag the probe can pull when `check-image` is not given. */
export function readCheckSettings(getInput: InputReader, hasImportTarget: boolean): CheckSettings {
  const raw = getInput('check-image').trim()
  let image: ImageReference | undefined
  if (raw) {
    // A reference without a host names a repository of the registry, not Docker Hub.
    const hasHost = namesRegistryHost(raw)
    const parsed = parseImageReference(hasHost ? raw : `registry.placeholder/${raw}`)
    if (typeof parsed === 'string') throw new InputError('check-image', parsed)
    image = hasHost ? parsed : { ...parsed, registry: '', tag: parsed.tag ?? (parsed.digest ? undefined : 'latest') }
  }
  const pull = readBoolean(getInput, 'check-pull', false)
  if (pull && !image && !hasImportTarget) {
    throw new InputError(
      'check-image',
      'is required with check-pull unless this run imports a tag: give the image the probe pod pulls (repo:tag in the registry, or a full reference)'
    )
  }
  return { pull, image, failOnCheck: readBoolean(getInput, 'fail-on-check', false) }
}
