/**
 * One connection's security state: who the client is (its principal) and how far its SASL
 * exchange has come. Created by BrookServer for every accepted socket, handed to the dispatcher;
 * owned by that connection, main thread only.
 *
 * SASL states (Kafka's SaslServerAuthenticator, reduced to what a single host needs):
 *
 *   handshake ──SaslHandshake v1──> authenticate ──SaslAuthenticate (1 or 2 rounds)──> authenticated
 *       └──────SaslHandshake v0──> raw-tokens ──raw token frames (1 or 2)────────────> authenticated
 *   any failure ──> failed (the answer is written, then the connection is closed)
 *
 * Until `authenticated`, only ApiVersions, SaslHandshake and SaslAuthenticate are served; any other
 * request closes the connection without an answer, as Kafka does. Without --sasl-users the session
 * starts authenticated, as the TLS client certificate's principal (mTLS) or User:ANONYMOUS.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { AclOperation, AclResourceType, Authorizer } from './authorizer.js';
import { ANONYMOUS, userPrincipal } from './authorizer.js';
import type { SaslMechanism, UserStore } from './credentials.js';
import { ScramError, ScramServer } from './scram.js';

/** The server-wide security settings; null parts are off. */
export interface SecurityConfig {
  /** SASL is required when set. */
  readonly users: UserStore | null;
  /** Enabled mechanisms, in the order SaslHandshake lists them. */
  readonly mechanisms: readonly SaslMechanism[];
  /** Authorization is on (deny by default) when set. */
  readonly authorizer: Authorizer | null;
}

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;

type SaslState = 'handshake' | 'authenticate' | 'raw-tokens' | 'authenticated' | 'failed';

export interface HandshakeAnswer {
  errorCode: number;
  mechanisms: string[];
}

export interface AuthenticateAnswer {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
}

export class SecuritySession {
  private state: SaslState;
  private _principal: string;
  private mechanism: SaslMechanism | null = null;
  private scram: ScramServer | null = null;

  constructor(
    private readonly config: SecurityConfig | null,
    tlsPrincipal: string | null = null,
  ) {
    this.state = config?.users ? 'handshake' : 'authenticated';
    this._principal = tlsPrincipal ?? ANONYMOUS;
  }

  get principal(): string {
    return this._principal;
  }

  get isAuthenticated(): boolean {
    return this.state === 'authenticated';
  }

  /** After SaslHandshake v0 the next frames are bare SASL tokens, not Kafka requests. */
  get expectsRawToken(): boolean {
    return this.state === 'raw-tokens';
  }

  /** Set once authentication failed: the answer goes out, then the connection closes. */
  get mustClose(): boolean {
    return this.state === 'failed';
  }

  /** Whether a request with `apiKey` may be served now (false: close the connection). */
  mayServe(apiKey: number): boolean {
    if (this.state === 'authenticated') return true;
    return apiKey === API_VERSIONS || apiKey === SASL_HANDSHAKE || apiKey === SASL_AUTHENTICATE;
  }

  handshake(mechanism: string, version: number): HandshakeAnswer {
    const enabled = this.config?.users ? [...this.config.mechanisms] : [];
    if (this.state !== 'handshake') return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: enabled };
    const chosen = enabled.find((name) => name === mechanism);
    if (chosen === undefined) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: enabled };
    this.mechanism = chosen;
    this.state = version === 0 ? 'raw-tokens' : 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms: enabled };
  }

  /** One SaslAuthenticate round (or one raw token after a v0 handshake). */
  authenticate(token: Buffer): AuthenticateAnswer {
    // Already authenticated (or on a listener without SASL): Kafka answers ILLEGAL_SASL_STATE and
    // keeps the connection (there is no re-authentication, KIP-368, to start).
    if (this.state === 'authenticated') {
      return failure(ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate request received after successful authentication');
    }
    if (this.state !== 'authenticate' && this.state !== 'raw-tokens') {
      this.state = 'failed';
      return failure(ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate is only valid after a successful SaslHandshake');
    }
    const users = this.config!.users!;
    if (this.mechanism === 'PLAIN') return this.plain(token, users);
    return this.scramRound(token, users);
  }

  authorize(operation: AclOperation, resourceType: AclResourceType, name: string): boolean {
    return this.config?.authorizer?.authorize(this._principal, operation, resourceType, name) ?? true;
  }

  authorizeAny(operation: AclOperation, resourceType: AclResourceType): boolean {
    return this.config?.authorizer?.authorizeAny(this._principal, operation, resourceType) ?? true;
  }

  /** RFC 4616: [authzid] NUL authcid NUL passwd; an authzid other than the user is refused. */
  private plain(token: Buffer, users: UserStore): AuthenticateAnswer {
    const parts = token.toString('utf8').split('\u0000');
    const [authzid, username, password] = parts;
    const wellFormed = parts.length === 3 && username!.length > 0 && (authzid === '' || authzid === username);
    if (!wellFormed || !users.checkPassword(username!, password!)) {
      this.state = 'failed';
      return failure(ErrorCode.SASL_AUTHENTICATION_FAILED, 'Authentication failed: Invalid username or password');
    }
    return this.succeed(username!, Buffer.alloc(0));
  }

  private scramRound(token: Buffer, users: UserStore): AuthenticateAnswer {
    const mechanism = this.mechanism as 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
    this.scram ??= new ScramServer(mechanism, (username) => users.scramCredential(mechanism, username));
    try {
      const reply = Buffer.from(this.scram.step(token.toString('utf8')), 'utf8');
      const username = this.scram.username;
      if (username !== null) return this.succeed(username, reply);
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: reply };
    } catch (error) {
      if (!(error instanceof ScramError)) throw error;
      this.state = 'failed';
      return failure(
        ErrorCode.SASL_AUTHENTICATION_FAILED,
        `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`,
      );
    }
  }

  private succeed(username: string, authBytes: Buffer): AuthenticateAnswer {
    this.state = 'authenticated';
    this._principal = userPrincipal(username);
    this.scram = null;
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes };
  }
}

function failure(errorCode: number, errorMessage: string): AuthenticateAnswer {
  return { errorCode, errorMessage, authBytes: Buffer.alloc(0) };
}

/** For handlers: may this request's principal do `operation`? (Always, when security is off.) */
export function allowed(
  context: { readonly session?: SecuritySession },
  operation: AclOperation,
  resourceType: AclResourceType,
  name: string,
): boolean {
  return context.session?.authorize(operation, resourceType, name) ?? true;
}
