/** Every manifest kind a registry may hold for a tag; asking for all of them gets the tag's own digest. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ')

/** What a HEAD of `/v2/<repo>/manifests/<ref>` told: the digest, or that the tag is not there. */
export type ManifestLookup = { found: true; digest: string } | { found: false; status: number; code: string | undefined; message: string }
