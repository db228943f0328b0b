/**
 * Characters a reader cannot see or that change how the text around them displays: controls (Cc),
 * format characters (Cf: zero-width spaces and joiners, bidi overrides and isolates, the BOM, tags)
 * and the rest of Unicode's default-ignorable set (Hangul fillers, variation selectors). One
 * definition for what input refuses and what error messages escape.
 */
export const CONTROL_OR_FORMAT = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
/** Space, line and paragraph separators (Z*), the plain space included. */
export const SEPARATOR = /\p{Z}/u;

const INVISIBLE = new RegExp(`(?! )(?:${CONTROL_OR_FORMAT.source}|${SEPARATOR.source})`, 'gu');

/**
 * Caller-supplied text made safe to echo in an error message: every invisible character but the
 * plain space becomes `\u{XXXX}`, so a message can neither hide part of a value nor reorder it.
 * The client errors apply it where they build their messages, so no route can forget it.
 */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (character) => `\\u{${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}}`);
}
