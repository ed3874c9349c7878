/**
 * A minimal zip reader for the run-command `context` (a base64 zip of the files
 * the command needs): the central directory, stored (0) and deflated (8)
 * entries, CRC-32 checked. That covers what clients send: fflate's `zipSync`
 * (the action), Python's `zipfile` (az aks command invoke: stored entries) and
 * `archive_file` (Terraform). Names that could land outside the scratch
 * directory (absolute, a drive letter, `..`) are refused, as is anything this
 * reader does not understand (encryption, ZIP64, multi-disk), instead of
 * guessing.
 */
import { crc32, inflateRawSync } from 'node:zlib'

export interface ZipEntry {
  /** The entry's name as stored, `/`-separated; directories end with `/`. */
  name: string
  dir: boolean
  data: Buffer
}

export class ZipError extends Error {}

const EOCD = 0x06054b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50

/** The twin's own guard against zip bombs (AKS's limit on the context is not known). */
export const MAX_UNZIPPED_BYTES = 64 * 1024 * 1024

/** A name is safe when it stays below the directory it is extracted into. */
export function safeEntryName(name: string): boolean {
  if (!name || name.includes('\0')) return false
  if (/^[/\\]/.test(name) || /^[A-Za-z]:/.test(name)) return false
  return !name.split(/[/\\]/).some((seg) => seg === '..')
}

function findEnd(buf: Buffer): number {
  // The record is 22 bytes plus a comment of up to 65535 bytes, so search backwards from the end.
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) return i
  }
  throw new ZipError('not a zip file (no end of central directory record)')
}

export function readZip(buf: Buffer): ZipEntry[] {
  if (buf.length < 22) throw new ZipError('not a zip file (too short)')
  const end = findEnd(buf)
  const disk = buf.readUInt16LE(end + 4)
  const count = buf.readUInt16LE(end + 10)
  const cdSize = buf.readUInt32LE(end + 12)
  const cdOffset = buf.readUInt32LE(end + 16)
  if (disk !== 0) throw new ZipError('multi-disk zip files are not supported')
  if (count === 0xffff || cdOffset === 0xffffffff) throw new ZipError('ZIP64 archives are not supported')
  if (cdOffset + cdSize > end) throw new ZipError('the central directory lies outside the file')

  const entries: ZipEntry[] = []
  let total = 0
  let p = cdOffset
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw new ZipError(`bad central directory entry ${i}`)
    const flags = buf.readUInt16LE(p + 8)
    const method = buf.readUInt16LE(p + 10)
    const crc = buf.readUInt32LE(p + 16)
    const compressed = buf.readUInt32LE(p + 20)
    const size = buf.readUInt32LE(p + 24)
    const nameLen = buf.readUInt16LE(p + 28)
    const extraLen = buf.readUInt16LE(p + 30)
    const commentLen = buf.readUInt16LE(p + 32)
    const local = buf.readUInt32LE(p + 42)
    // Bit 11: the name is UTF-8; without it the name is CP437, which matches UTF-8 for ASCII names.
    const name = buf.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen)
    p += 46 + nameLen + extraLen + commentLen

    if (flags & 0x1) throw new ZipError(`${name}: encrypted entries are not supported`)
    if (!safeEntryName(name)) throw new ZipError(`${name}: the entry would be written outside the working directory`)
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== LOCAL) throw new ZipError(`${name}: bad local header`)
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28)
    if (start + compressed > buf.length) throw new ZipError(`${name}: data lies outside the file`)
    const raw = buf.subarray(start, start + compressed)
    total += size
    if (total > MAX_UNZIPPED_BYTES) throw new ZipError(`the context unpacks to more than ${MAX_UNZIPPED_BYTES} bytes`)

    let data: Buffer
    if (method === 0) data = Buffer.from(raw)
    else if (method === 8) {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) })
      } catch (e) {
        throw new ZipError(`${name}: ${(e as Error).message}`)
      }
    } else throw new ZipError(`${name}: compression method ${method} is not supported`)
    if (data.length !== size) throw new ZipError(`${name}: size mismatch`)
    if (crc32(data) >>> 0 !== crc) throw new ZipError(`${name}: CRC mismatch`)
    entries.push({ name, dir: name.endsWith('/'), data })
  }
  return entries
}
