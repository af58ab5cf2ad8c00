/**
 * Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from a 31-symbol
 * alphabet (digits and capital letters without I, O, S, V, Z); the last one is a check character
 * over the first 17 with weights 3^i mod 31.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The check character for the first 17 characters, or null if they use a foreign symbol. */
export function creditCodeCheckChar(first17: string): string | null {
  if (first17.length !== 17) return null;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = ALPHABET.indexOf(first17[i]!);
    if (v < 0) return null;
    sum += v * WEIGHTS[i]!;
  }
  return ALPHABET[(31 - (sum % 31)) % 31]!;
}

export type CreditCodeProblem = 'length' | 'charset' | 'checksum';

/** Returns null when valid, otherwise what is wrong. Input is upper-cased and trimmed first. */
export function checkCreditCode(raw: string): CreditCodeProblem | null {
  const code = raw.trim().toUpperCase();
  if (code.length !== 18) return 'length';
  if (![...code].every((c) => ALPHABET.includes(c))) return 'charset';
  return creditCodeCheckChar(code.slice(0, 17)) === code[17] ? null : 'checksum';
}

export const CREDIT_CODE_MESSAGES: Record<CreditCodeProblem, [string, string]> = {
  length: ['统一社会信用代码应为18位', 'must be 18 characters'],
  charset: ['统一社会信用代码只能包含数字和大写字母（不含I、O、S、V、Z）', 'may only contain digits and capital letters except I, O, S, V, Z'],
  checksum: ['统一社会信用代码校验位不正确（GB 32100-2015）', 'check character is wrong (GB 32100-2015)'],
};

/**
 * A valid code derived deterministically from a seed string, for demo and synthetic data.
 * Starts with 91 (enterprise) and 4201 (Wuhan) so it looks local.
 */
export function demoCreditCode(seed: string, districtCode = '420100'): string {
  let h = 2166136261;
  for (const ch of seed) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  let body = `91${districtCode}`;
  while (body.length < 17) {
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
    body += ALPHABET[h % 31];
  }
  return body + creditCodeCheckChar(body)!;
}
