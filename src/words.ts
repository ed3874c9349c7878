/** `1 image`, `3 images`: counts read as sentences in the log and the summary. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`
}

/** A duration as people write it: 5m, 90s, 1h30m. */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`
}

/** How long ago, in a sentence: `40s ago`, `3m20s ago`, `2 days ago`. */
export function ago(date: Date, now = Date.now()): string {
  const ms = Math.max(0, now - date.getTime())
  const days = Math.floor(ms / 86_400_000)
  return days >= 2 ? `${days} days ago` : `${duration(ms)} ago`
}
