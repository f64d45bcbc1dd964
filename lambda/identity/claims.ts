/**
 * What an identity policy says about a token's claims (SPEC §13 rules 5 and 6): claim names,
 * glob patterns, the subject template. Pure: no I/O, no clock. A token's payload is untrusted
 * input even after its signature verified, so nothing here reaches past own properties.
 */

/** A verified token's payload: JSON, so any value. */
export type Claims = Readonly<Record<string, unknown>>;

/** A top-level claim name, or a JSON pointer (RFC 6901) starting with `/`. */
export function isClaimName(name: string): boolean {
  return name.length > 0 && name.length <= 256 && !/[\u0000-\u001f]/.test(name);
}

/** A glob: `*` any run of characters, `?` exactly one; everything else stands for itself. */
export function isClaimPattern(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= 1024 && !/[\u0000-\u001f]/.test(pattern);
}

/**
 * The value a claim name selects: a top-level claim, or with a leading `/` a JSON pointer into
 * nested objects and arrays (`/kubernetes.io/namespace`; `~1` is `/`, `~0` is `~`).
 * undefined when nothing is there.
 */
export function claimValue(claims: Claims, name: string): unknown {
  if (!name.startsWith("/")) return Object.hasOwn(claims, name) ? claims[name] : undefined;
  let value: unknown = claims;
  for (const token of name.slice(1).split("/")) {
    const step = token.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(value)) {
      if (!/^(0|[1-9]\d*)$/.test(step)) return undefined;
      value = value[Number(step)];
    } else if (typeof value === "object" && value !== null && Object.hasOwn(value, step)) {
      value = (value as Record<string, unknown>)[step];
    } else {
      return undefined;
    }
  }
  return value;
}

/**
 * Whether `value` matches the glob `pattern`, whole. Greedy with one backtrack point (the last
 * `*`), so a hostile pattern or value costs at most length × length steps, never exponential.
 * Characters are compared as code points: `?` is one character, whatever its UTF-16 length.
 */
export function globMatches(pattern: string, value: string): boolean {
  const p = Array.from(pattern);
  const v = Array.from(value);
  let pi = 0;
  let vi = 0;
  let star = -1;
  let resume = 0;
  while (vi < v.length) {
    if (pi < p.length && (p[pi] === "?" || (p[pi] !== "*" && p[pi] === v[vi]))) {
      pi += 1;
      vi += 1;
    } else if (pi < p.length && p[pi] === "*") {
      star = pi;
      resume = vi;
      pi += 1;
    } else if (star !== -1) {
      pi = star + 1;
      resume += 1;
      vi = resume;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === "*") pi += 1;
  return pi === p.length;
}

/** A claim matches when it is a string that matches, or an array with an element that does. */
export function claimMatches(claims: Claims, name: string, pattern: string): boolean {
  const value = claimValue(claims, name);
  if (typeof value === "string") return globMatches(pattern, value);
  if (Array.isArray(value)) return value.some((item) => typeof item === "string" && globMatches(pattern, item));
  return false;
}

/** One piece of a subject template: literal text, or the claim a placeholder names. */
export type TemplatePart = { text: string } | { claim: string };

/** `{sub}`: what a policy without a subject template uses. */
export const DEFAULT_SUBJECT_TEMPLATE = "{sub}";

const SUBJECT_PATTERN = /^[\x21-\x7e]{1,128}$/;

/**
 * A subject template (`repo:{repository}`, `{/kubernetes.io/namespace}/{sub}`) in pieces, or
 * undefined when it is malformed: an unclosed or empty `{}`, a stray `}`, or literal text that
 * could never be part of a subject (anything outside 0x21–0x7E).
 */
export function parseSubjectTemplate(template: string): TemplatePart[] | undefined {
  const parts: TemplatePart[] = [];
  let rest = template;
  while (rest !== "") {
    const open = rest.indexOf("{");
    const literal = open === -1 ? rest : rest.slice(0, open);
    if (literal.includes("}") || (literal !== "" && !/^[\x21-\x7e]+$/.test(literal))) return undefined;
    if (literal !== "") parts.push({ text: literal });
    if (open === -1) break;
    const close = rest.indexOf("}", open);
    const claim = close === -1 ? "" : rest.slice(open + 1, close);
    if (claim === "" || claim.includes("{") || !isClaimName(claim)) return undefined;
    parts.push({ claim });
    rest = rest.slice(close + 1);
  }
  return parts.length === 0 ? undefined : parts;
}

/**
 * The subject a template renders from the claims, or undefined when a placeholder's claim is
 * missing or not a string, or the result is not 1–128 characters of 0x21–0x7E (the policy then
 * does not admit the token).
 */
export function renderSubject(parts: readonly TemplatePart[], claims: Claims): string | undefined {
  let subject = "";
  for (const part of parts) {
    if ("text" in part) {
      subject += part.text;
      continue;
    }
    const value = claimValue(claims, part.claim);
    if (typeof value !== "string") return undefined;
    subject += value;
    if (subject.length > 128) return undefined;
  }
  return SUBJECT_PATTERN.test(subject) ? subject : undefined;
}
