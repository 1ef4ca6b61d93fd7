/**
 * SCRAM (RFC 5802) with SHA-256 / SHA-512 (RFC 7677, Kafka's KIP-84): the key derivation, the
 * proof check and the server side of the exchange. Pure functions plus one small state machine
 * per authentication; no I/O. Used on the main thread by a connection's SecuritySession.
 *
 * The exchange (one SaslAuthenticate round trip per arrow):
 *
 *   client-first  n,,n=<user>,r=<clientNonce>                 ->
 *                 <- server-first  r=<clientNonce+serverNonce>,s=<base64 salt>,i=<iterations>
 *   client-final  c=biws,r=<nonce>,p=<base64 ClientProof>     ->
 *                 <- server-final  v=<base64 ServerSignature>   (or e=<error>)
 *
 *   SaltedPassword  = PBKDF2(HMAC-H, password, salt, iterations)
 *   ClientKey       = HMAC(SaltedPassword, "Client Key")     StoredKey = H(ClientKey)
 *   ServerKey       = HMAC(SaltedPassword, "Server Key")
 *   AuthMessage     = client-first-bare "," server-first "," client-final-without-proof
 *   ClientProof     = ClientKey XOR HMAC(StoredKey, AuthMessage)
 *   ServerSignature = HMAC(ServerKey, AuthMessage)
 *
 * The server keeps only salt, iterations, StoredKey and ServerKey: it verifies a proof by
 * recovering ClientKey = proof XOR HMAC(StoredKey, AuthMessage) and comparing H(ClientKey) with
 * StoredKey in constant time.
 */
import crypto from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];
/** Kafka's minimum for SCRAM credentials (ScramMechanism.minIterations). */
export const SCRAM_ITERATIONS_MIN = 4096;
export const SCRAM_ITERATIONS_DEFAULT = 8192;
const SALT_BYTES = 24;
const SERVER_NONCE_BYTES = 24;
/** A client nonce or user name longer than this is refused (untrusted input). */
const ATTRIBUTE_CHARS_MAX = 1024;

export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

function hashOf(mechanism: ScramMechanism): 'sha256' | 'sha512' {
  return mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
}

function hashBytes(mechanism: ScramMechanism): number {
  return mechanism === 'SCRAM-SHA-256' ? 32 : 64;
}

function hmac(mechanism: ScramMechanism, key: Buffer, data: string | Buffer): Buffer {
  return crypto.createHmac(hashOf(mechanism), key).update(data).digest();
}

function hash(mechanism: ScramMechanism, data: Buffer): Buffer {
  return crypto.createHash(hashOf(mechanism)).update(data).digest();
}

export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number): Buffer {
  return crypto.pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, hashBytes(mechanism), hashOf(mechanism));
}

/** What the users file stores for a SCRAM user (Kafka's ScramCredential). */
export function scramCredential(
  mechanism: ScramMechanism,
  password: string,
  iterations: number = SCRAM_ITERATIONS_DEFAULT,
  salt: Buffer = crypto.randomBytes(SALT_BYTES),
): ScramCredential {
  return credentialFromSaltedPassword(mechanism, saltedPassword(mechanism, password, salt, iterations), salt, iterations);
}

/** The credential for a salted password (what AlterUserScramCredentials sends, KIP-554). */
export function credentialFromSaltedPassword(mechanism: ScramMechanism, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(mechanism, salted, 'Client Key');
  return { salt, iterations, storedKey: hash(mechanism, clientKey), serverKey: hmac(mechanism, salted, 'Server Key') };
}

/** The client's proof for `authMessage` (what a client computes; tests and tools use it). */
export function clientProof(mechanism: ScramMechanism, password: string, salt: Buffer, iterations: number, authMessage: string): Buffer {
  const salted = saltedPassword(mechanism, password, salt, iterations);
  const clientKey = hmac(mechanism, salted, 'Client Key');
  const signature = hmac(mechanism, hash(mechanism, clientKey), authMessage);
  return xor(clientKey, signature);
}

/** True when `proof` was made from the password behind `credential` (constant-time compare). */
export function verifyClientProof(mechanism: ScramMechanism, credential: ScramCredential, authMessage: string, proof: Buffer): boolean {
  if (proof.length !== hashBytes(mechanism)) return false;
  const clientKey = xor(proof, hmac(mechanism, credential.storedKey, authMessage));
  const candidate = hash(mechanism, clientKey);
  return candidate.length === credential.storedKey.length && crypto.timingSafeEqual(candidate, credential.storedKey);
}

export function serverSignature(mechanism: ScramMechanism, credential: ScramCredential, authMessage: string): Buffer {
  return hmac(mechanism, credential.serverKey, authMessage);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** A SCRAM message that does not parse, or a step out of order: authentication fails. */
export class ScramError extends Error {}

/** "a=1,b=2" -> {a: "1", b: "2"}; values may contain '=' (base64), never ','. */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new ScramError(`malformed SCRAM attribute '${part.slice(0, 20)}'`);
    const value = part.slice(2);
    if (value.length > ATTRIBUTE_CHARS_MAX) throw new ScramError('SCRAM attribute too long');
    out.set(part[0]!, value);
  }
  return out;
}

/** RFC 5802 saslname: ',' and '=' travel as =2C and =3D; any other '=' is malformed. */
function unescapeUsername(raw: string): string {
  if (/=(?!2C|3D)/.test(raw)) throw new ScramError('malformed user name escape');
  return raw.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export interface ClientFirst {
  username: string;
  clientNonce: string;
  /** "n=...,r=..." without the GS2 header: the first part of AuthMessage. */
  bare: string;
  /** The GS2 header ("n,," / "y,,"), echoed base64-encoded in the client-final c= attribute. */
  gs2Header: string;
}

export function parseClientFirst(message: string): ClientFirst {
  // gs2-header = gs2-cbind-flag "," [authzid] ","
  const first = message.indexOf(',');
  const second = first < 0 ? -1 : message.indexOf(',', first + 1);
  if (second < 0) throw new ScramError('client-first message has no GS2 header');
  const flag = message.slice(0, first);
  if (flag !== 'n' && flag !== 'y') throw new ScramError('channel binding is not supported');
  const gs2Header = message.slice(0, second + 1);
  const bare = message.slice(second + 1);
  const attrs = attributes(bare);
  const username = attrs.get('n');
  const clientNonce = attrs.get('r');
  if (username === undefined || clientNonce === undefined || clientNonce.length === 0) {
    throw new ScramError('client-first message needs n= and r=');
  }
  if (attrs.has('m')) throw new ScramError('mandatory SCRAM extensions are not supported');
  // Kafka's delegation-token extension: Brook has no delegation tokens.
  if (attrs.get('tokenauth') !== undefined || bare.includes(',tokenauth=')) {
    throw new ScramError('delegation tokens are not supported');
  }
  return { username: unescapeUsername(username), clientNonce, bare, gs2Header };
}

/**
 * The server side of one SCRAM authentication. `step` takes each client message and returns the
 * server's answer; after the second step `username` is authenticated. A wrong proof throws
 * ScramError (the caller answers SASL_AUTHENTICATION_FAILED); so does any unexpected message.
 * An unknown user gets a made-up credential, so the answer to client-first does not tell whether a
 * user exists; the proof can then never match.
 */
export class ScramServer {
  private state: 'first' | 'final' | 'done' = 'first';
  private clientFirst: ClientFirst | null = null;
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredential | null = null;
  private known = false;
  private authenticated = false;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly lookUp: (username: string) => ScramCredential | undefined,
    private readonly serverNonce: () => string = () => crypto.randomBytes(SERVER_NONCE_BYTES).toString('base64url'),
  ) {}

  get username(): string | null {
    return this.authenticated ? this.clientFirst!.username : null;
  }

  step(message: string): string {
    if (this.state === 'first') return this.first(message);
    if (this.state === 'final') return this.final(message);
    throw new ScramError('SCRAM exchange already finished');
  }

  private first(message: string): string {
    const clientFirst = parseClientFirst(message);
    const found = this.lookUp(clientFirst.username);
    this.known = found !== undefined;
    this.credential = found ?? {
      salt: crypto.randomBytes(SALT_BYTES),
      iterations: SCRAM_ITERATIONS_DEFAULT,
      storedKey: crypto.randomBytes(hashBytes(this.mechanism)),
      serverKey: crypto.randomBytes(hashBytes(this.mechanism)),
    };
    this.clientFirst = clientFirst;
    this.nonce = clientFirst.clientNonce + this.serverNonce();
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    this.state = 'final';
    return this.serverFirst;
  }

  private final(message: string): string {
    this.state = 'done';
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('client-final message has no proof');
    const withoutProof = message.slice(0, proofAt);
    const attrs = attributes(message);
    const clientFirst = this.clientFirst!;
    if (attrs.get('c') !== Buffer.from(clientFirst.gs2Header).toString('base64')) throw new ScramError('channel binding mismatch');
    // Kafka's ScramSaslServer accepts any nonce that ENDS with the one it sent (endsWith), and
    // librdkafka 2.0.2 relies on it: its client-final r= is clientNonce + the whole server r=.
    // The proof still covers the nonce as sent, so this loosens nothing else.
    if (!(attrs.get('r') ?? '').endsWith(this.nonce)) throw new ScramError('nonce mismatch');
    const proof = Buffer.from(attrs.get('p') ?? '', 'base64');
    const authMessage = `${clientFirst.bare},${this.serverFirst},${withoutProof}`;
    const credential = this.credential!;
    if (!verifyClientProof(this.mechanism, credential, authMessage, proof) || !this.known) {
      throw new ScramError('invalid credentials');
    }
    this.authenticated = true;
    return `v=${serverSignature(this.mechanism, credential, authMessage).toString('base64')}`;
  }
}
