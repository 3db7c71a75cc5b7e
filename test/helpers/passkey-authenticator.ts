import { isoBase64URL, isoCBOR } from "@simplewebauthn/server/helpers";

/**
 * A tiny software authenticator (one ES256 passkey), enough to drive @simplewebauthn/server from
 * the test side with real responses: attestation "none" and genuine ECDSA P-256 assertions signed
 * with WebCrypto (WebAuthn Level 3 §6.1 authenticator data, §6.5 attestation, §8.7 "none"). What a
 * browser adds (clientDataJSON with the page's origin) is built here too, so tests can lie about
 * the origin or the RP ID the way a phishing page or a buggy client would.
 */
export interface SoftAuthenticatorOptions {
  /** The page the "browser" is on (clientDataJSON.origin). */
  origin?: string;
  /** The RP ID the authenticator scopes the credential to (its hash starts authenticatorData). */
  rpId?: string;
}

const FLAG_USER_PRESENT = 0x01;
const FLAG_USER_VERIFIED = 0x04;
const FLAG_ATTESTED_DATA = 0x40;

const utf8 = new TextEncoder();
/** @simplewebauthn wants plain ArrayBuffer-backed bytes. */
const b64 = (bytes: Uint8Array) => isoBase64URL.fromBuffer(new Uint8Array(bytes));

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function uint32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

/** WebCrypto signs ECDSA as r‖s; WebAuthn carries the ASN.1 DER SEQUENCE of two INTEGERs. */
function rawSignatureToDer(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
    let trimmed = bytes.slice(start);
    if ((trimmed[0] ?? 0) & 0x80) trimmed = concat(new Uint8Array([0]), trimmed);
    return concat(new Uint8Array([0x02, trimmed.length]), trimmed);
  };
  const body = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

export interface CreationOptions {
  challenge: string;
  rp: { id?: string };
  user: { id: string };
}
export interface RequestOptions {
  challenge: string;
  rpId?: string;
}

export class SoftAuthenticator {
  readonly credentialId = crypto.getRandomValues(new Uint8Array(16));
  /** The signature counter; tests may set it back to play a cloned authenticator. */
  counter = 0;
  /** False: an authenticator that keeps no counter (always 0), so concurrent sign-ins all pass. */
  keepsCounter = true;
  /** The user handle stored with the passkey at registration (discoverable credential). */
  userHandle: string | null = null;
  origin: string;
  rpId: string;
  private keys: Promise<CryptoKeyPair>;

  constructor(options: SoftAuthenticatorOptions = {}) {
    this.origin = options.origin ?? "http://localhost:8787";
    this.rpId = options.rpId ?? "localhost";
    this.keys = crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ]) as Promise<CryptoKeyPair>;
  }

  get id(): string {
    return b64(this.credentialId);
  }

  private clientData(type: "webauthn.create" | "webauthn.get", challenge: string) {
    return utf8.encode(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  private async cosePublicKey(): Promise<Uint8Array> {
    const raw = new Uint8Array((await crypto.subtle.exportKey("raw", (await this.keys).publicKey)) as ArrayBuffer);
    // COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y.
    return isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, raw.slice(1, 33)],
        [-3, raw.slice(33, 65)],
      ]),
    );
  }

  private async authenticatorData(flags: number, attested?: Uint8Array) {
    return concat(
      await sha256(utf8.encode(this.rpId)),
      new Uint8Array([flags]),
      uint32(this.counter),
      ...(attested ? [attested] : []),
    );
  }

  /** What `credential.toJSON()` gives after navigator.credentials.create(options). */
  async register(options: CreationOptions) {
    this.userHandle = options.user.id;
    const publicKey = await this.cosePublicKey();
    const attested = concat(
      new Uint8Array(16), // AAGUID: zeros, as with attestation "none"
      new Uint8Array([0, this.credentialId.length]),
      this.credentialId,
      publicKey,
    );
    const authData = await this.authenticatorData(
      FLAG_USER_PRESENT | FLAG_USER_VERIFIED | FLAG_ATTESTED_DATA,
      attested,
    );
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ["fmt", "none"],
        ["attStmt", new Map<string, string>()],
        ["authData", authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64(this.clientData("webauthn.create", options.challenge)),
        attestationObject: b64(attestationObject),
        transports: ["internal"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** What `credential.toJSON()` gives after navigator.credentials.get(options); the counter goes up first. */
  async assert(options: RequestOptions, tweak: { userVerified?: boolean } = {}) {
    if (this.keepsCounter) this.counter += 1;
    const flags = FLAG_USER_PRESENT | (tweak.userVerified === false ? 0 : FLAG_USER_VERIFIED);
    const authData = await this.authenticatorData(flags);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge);
    const signed = concat(authData, await sha256(clientDataJSON));
    const raw = new Uint8Array(
      await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, (await this.keys).privateKey, signed),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64(clientDataJSON),
        authenticatorData: b64(authData),
        signature: b64(rawSignatureToDer(raw)),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }
}
