import commonPasswordList from "@zxcvbn-ts/language-common/dist/passwords.json.mjs";

/**
 * NIST SP 800-63B §3.1.1.2 / ASVS 5.0 V6.2: no composition rules, but refuse passwords that are
 * known to be common. The list is zxcvbn-ts's frequency-ordered list of ~49,000 leaked
 * passwords (maintained upstream); only entries long enough to pass the length rule matter.
 */
let commonPasswords: Set<string> | undefined;

export function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(commonPasswordList.filter((entry) => entry.length >= 8));
  return commonPasswords.has(password.toLowerCase());
}
