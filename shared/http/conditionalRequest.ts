/**
 * Whether `If-None-Match` names this ETag (RFC 9110 §13.1.2: a list, `*`, weak comparison),
 * so the caller's copy is current and a 304 answers.
 */
export function ifNoneMatchHits(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}
