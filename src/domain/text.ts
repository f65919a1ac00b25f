import { isUtf8 } from 'node:buffer';

/**
 * The text of a record value, or null when the bytes are not valid UTF-8 (`toString('utf8')`
 * would silently replace them by U+FFFD; the record goes to the dead-letter topic instead, as on
 * every input topic).
 */
export function utf8OrNull(bytes: Buffer): string | null {
  return isUtf8(bytes) ? bytes.toString('utf8') : null;
}

/**
 * Cuts free text (a message, a reason) to at most `max` characters, marking the cut with `…`.
 * The one clipping rule of the tree: ids and names are never clipped (they are rejected when too
 * long); only text meant for people is.
 *
 * @example clipText('a long message', 6) // 'a lon…'
 */
export function clipText(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, Math.max(0, max - 1)) + '…';
}
